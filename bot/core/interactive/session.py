"""One interactive learning session: each user turn and each bot action is shown, then confirmed or
corrected by the designer before it happens. The I/O is a Prompter, so a test can drive it too."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.core.messages import UserMessage
from bot.shared.core.domain.constants import ACTION_LISTEN
from bot.shared.errors import BotError
from bot.shared.nlu.message import Message
from bot.shared.nlu.readers.entity_markup import parse_entity_markup, to_markup

# How many alternatives a correction prompt lists before "or type a name".
CHOICES = 8


class Prompter(Protocol):
    """What the session needs from a terminal."""

    def ask(self, question: str) -> str | None: ...  # None: the input ended (Ctrl-D)
    def say(self, text: str) -> None: ...


@dataclass
class InteractiveSession:
    """Drives a processor turn by turn; `examples` collects the confirmed NLU examples."""

    processor: Any  # MessageProcessor
    prompter: Prompter
    sender_id: str = "interactive"
    examples: list[Message] = field(default_factory=list)

    async def run(self) -> None:
        """Until /stop or the end of input: a user turn, then actions until the bot listens."""
        self.prompter.say("Chat with the bot and confirm each step: Enter or y accepts, n corrects. "
                          "/stop saves and quits, /restart starts the conversation over.")
        while True:
            text = self.prompter.ask("Your input ->")
            if text is None or text.strip() in ("/stop", "/exit", "/quit"):
                return
            text = text.strip()
            if not text:
                continue
            if text == "/restart":
                await self.processor.append_events(self.sender_id, [_restarted()])
                self.prompter.say("The conversation starts over.")
                continue
            parse = await self.confirm_parse(text)
            await self.processor.log_message(UserMessage(text, self.sender_id, "cmdline", parse_data=parse))
            await self.confirm_actions()

    async def confirm_parse(self, text: str) -> dict[str, Any]:
        """The NLU's parse of `text`, with the intent and entities as the designer confirmed them."""
        parse = await self.processor.parse_message(text)
        intent = (parse.get("intent") or {}).get("name") or ""
        confidence = float((parse.get("intent") or {}).get("confidence") or 0.0)
        self.prompter.say(f"  intent: {intent} ({confidence:.2f}); entities: {_entities(parse.get('entities'))}")
        if not _yes(self.prompter.ask(f"? Is the intent '{intent}' correct? [Y/n]")):
            ranking = [e["name"] for e in parse.get("intent_ranking") or [] if e.get("name")]
            names = list(dict.fromkeys(ranking + sorted(self.processor.domain.intents)))
            intent = self._choose("intent", names, set(self.processor.domain.intents))
            confidence = 1.0
        entities = [e for e in parse.get("entities") or [] if e.get("entity")]
        if (entities or self.processor.domain.entities) and not _yes(
                self.prompter.ask(f"? Are the entities correct ({_entities(entities)})? [Y/n]")):
            entities = self._mark_entities(text, entities)
        corrected = {**parse, "intent": {"name": intent, "confidence": confidence},
                     "intent_ranking": [{"name": intent, "confidence": confidence}], "entities": entities}
        self.examples.append(Message(data={"text": text, "intent": intent, "entities": [
            {k: e[k] for k in ("entity", "start", "end", "value", "role", "group") if k in e} for e in entities]}))
        return corrected

    async def confirm_actions(self) -> None:
        """Asks about each predicted action until the confirmed one is action_listen."""
        for _ in range(self.processor.max_number_of_predictions):
            prediction = await self.processor.predict_next(self.sender_id)
            action = prediction["action"]
            question = (f"? The bot wants to run '{action}' ({prediction['policy']}, "
                        f"{prediction['confidence']:.2f}). Correct? [Y/n]")
            policy, confidence = prediction["policy"], prediction["confidence"]
            if not _yes(self.prompter.ask(question)):
                ranked = [s["action"] for s in prediction["scores"]]
                action = self._choose("action", ranked, set(self.processor.domain.action_names_or_texts))
                policy, confidence = "interactive", 1.0
            turn = await self.processor.execute_action(self.sender_id, action, "cmdline", policy, confidence,
                                                       predict_after=False)
            for reply in turn.messages:
                self.prompter.say(f"\u2022 {reply.get('text') or reply}")
            if action == ACTION_LISTEN:
                return
        self.prompter.say("The bot ran many actions in a row without listening; waiting for the user now.")

    def _choose(self, kind: str, ranked: list[str], known: set[str]) -> str:
        shown = ranked[:CHOICES]
        self.prompter.say("  " + "  ".join(f"{i}: {name}" for i, name in enumerate(shown, start=1)))
        while True:
            answer = (self.prompter.ask(f"? Which {kind}? (a number or a name)") or "").strip()
            if answer.isdigit() and 1 <= int(answer) <= len(shown):
                return shown[int(answer) - 1]
            if answer in known:
                return answer
            self.prompter.say(f"  '{answer}' is not an {kind} of the domain; pick a number or type one of: "
                              + ", ".join(sorted(known)[:20]))

    def _mark_entities(self, text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        current = to_markup(text, entities) if entities else text
        while True:
            answer = self.prompter.ask(f"? Type the message with its entities marked, e.g. [Berlin](city). "
                                       f"Now: {current}")
            if not answer or not answer.strip():
                return entities
            try:
                marked_text, marked = parse_entity_markup(answer.strip())
            except BotError as error:
                self.prompter.say(f"  {error}")
                continue
            if marked_text != text:
                self.prompter.say(f"  the text changed ('{marked_text}'); keep the words and only add [..](entity)")
                continue
            unknown = [e["entity"] for e in marked if e["entity"] not in self.processor.domain.entities]
            if unknown:
                self.prompter.say(f"  not entities of the domain: {', '.join(unknown)}")
                continue
            return marked


def _yes(answer: str | None) -> bool:
    return (answer or "").strip().lower() in ("", "y", "yes", "j", "ja")


def _entities(entities: Any) -> str:
    found = [f"{e.get('entity')}={e.get('value')!r}" for e in entities or []]
    return ", ".join(found) if found else "none"


def _restarted() -> Any:
    from bot.shared.core.events import Restarted

    return Restarted()
