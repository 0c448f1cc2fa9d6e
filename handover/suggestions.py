"""Agent assist: the replies the trained model would give to the customer's last message.

While a person owns a conversation the bot stays silent, but NLU still reads every customer
message. From that reading and the dialogue policies this module proposes domain responses for
the agent to insert, rendered with the conversation's slots and channel, so the `language` slot
picks the customer's language exactly as the bot's own answers do:

  - "response_selector": the ResponseSelector's best answers (retrieval intents such as faq/...);
  - "policy": the responses the policies predict next, for each of the top intents (what the bot
    would have said had it understood that intent; for a form, its question for the first missing slot);
  - "intent": the response named after an intent (`utter_<intent>`), the domain's plain mapping.

A suggestion's confidence is the probability of the intent times that of the answer; the same
response from several sources counts once, with its best confidence. Pure and synchronous: the
caller runs it in a worker thread (model inference never runs on the event loop).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.tracker import DialogueStateTracker
from bot.shared.core.domain import Domain
from bot.shared.core.domain.constants import UTTER_PREFIX
from bot.shared.core.events import UserUttered
from bot.shared.nlu.constants import RESPONSE_SELECTOR

__all__ = ["SOURCES", "Suggestion", "Suggestions", "customer_message", "suggest"]

MAX_SUGGESTIONS = 5
TOP_INTENTS = 3  # intents of the ranking the policies are asked about
ACTIONS_PER_INTENT = 2  # response actions taken from each of those predictions
SELECTOR_ANSWERS = 3  # answers taken from each response selector's ranking
MIN_CONFIDENCE = 0.01  # below this a suggestion is noise
SOURCES = ("response_selector", "policy", "intent")  # on equal confidence the earlier source wins
_SELECTOR_META_KEYS = ("all_retrieval_intents",)


@dataclass(frozen=True)
class Suggestion:
    """One reply to offer: its text as the customer would read it, and which response and source it is."""

    id: str
    text: str
    response: str
    source: str
    confidence: float


@dataclass(frozen=True)
class Suggestions:
    """The suggestions for one customer message (`for_message` None: the conversation has none yet)."""

    conversation_id: str
    for_message: dict[str, Any] | None
    suggestions: list[Suggestion] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"conversation_id": self.conversation_id, "for_message": self.for_message,
                "suggestions": [asdict(suggestion) for suggestion in self.suggestions]}


def suggest(tracker: DialogueStateTracker, domain: Domain, policies: Any, *,
            limit: int = MAX_SUGGESTIONS) -> Suggestions:
    """Suggestions for the latest customer message on `tracker` (its parse data is there)."""
    latest = customer_message(tracker)
    if latest is None:
        return Suggestions(tracker.sender_id, None)
    message, for_message = latest
    parse = message.parse_data
    slots = dict(tracker.current_slot_values())
    detected = (parse.get("language") or {}).get("name")
    if slots.get("language") is None and detected:
        slots["language"] = detected  # responses pick their language by this slot (docs/languages.md)
    intents = _top_intents(parse)

    found: dict[str, tuple[float, str]] = {}  # response name -> (confidence, source)

    def offer(response: str, confidence: float, source: str) -> None:
        best = found.get(response)
        if best is None or confidence > best[0] or (
                confidence == best[0] and SOURCES.index(source) < SOURCES.index(best[1])):
            found[response] = (confidence, source)

    for response, confidence in _selector_answers(parse, intents):
        offer(response, confidence, "response_selector")
    for intent, intent_confidence in intents.items():
        for response, action_confidence, source in _policy_answers(tracker, message, intent, domain, policies):
            offer(response, intent_confidence * action_confidence, source)
        if f"{UTTER_PREFIX}{intent}" in domain.responses:
            offer(f"{UTTER_PREFIX}{intent}", intent_confidence, "intent")

    channel = message.input_channel
    ranked = sorted(found.items(), key=lambda item: (-item[1][0], SOURCES.index(item[1][1]), item[0]))
    suggestions: list[Suggestion] = []
    seen_texts: set[str] = set()
    for response, (confidence, source) in ranked:
        if confidence < MIN_CONFIDENCE or len(suggestions) >= limit:
            break
        text = _render(domain, response, slots, channel)
        if not text or text in seen_texts:
            continue
        seen_texts.add(text)
        suggestions.append(Suggestion(_suggestion_id(tracker.sender_id, message.timestamp, response, text), text,
                                      response, source, round(confidence, 4)))
    return Suggestions(tracker.sender_id, for_message, suggestions)


def customer_message(tracker: DialogueStateTracker) -> tuple[UserUttered, dict[str, Any]] | None:
    """The latest customer message, and `for_message`: its text, time and intent (name, confidence)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            intent = event.intent
            described = {"name": intent.get("name"), "confidence": intent.get("confidence")} \
                if intent.get("name") else None
            return event, {"text": event.text, "timestamp": event.timestamp, "intent": described}
    return None


def _top_intents(parse: Mapping[str, Any]) -> dict[str, float]:
    """The ranking's best intents with their confidence (the parse's intent when there is no ranking)."""
    ranking = parse.get("intent_ranking") or ([parse["intent"]] if (parse.get("intent") or {}).get("name") else [])
    intents: dict[str, float] = {}
    for item in ranking:
        name, confidence = item.get("name"), float(item.get("confidence") or 0.0)
        if name and name not in intents and confidence >= MIN_CONFIDENCE:
            intents[name] = confidence
        if len(intents) >= TOP_INTENTS:
            break
    return intents


def _selector_answers(parse: Mapping[str, Any], intents: Mapping[str, float]) -> list[tuple[str, float]]:
    """Full retrieval responses (`utter_faq/ask_hours`) the selectors rank best, weighted by their intent."""
    answers = []
    for key, output in (parse.get(RESPONSE_SELECTOR) or {}).items():
        if key in _SELECTOR_META_KEYS or not isinstance(output, Mapping):
            continue
        for item in (output.get("ranking") or [])[:SELECTOR_ANSWERS]:
            response_key = str(item.get("intent_response_key") or "")
            retrieval_intent = response_key.split("/", 1)[0]
            if "/" not in response_key or retrieval_intent not in intents:
                continue  # the customer's message is not that kind of question
            answers.append((f"{UTTER_PREFIX}{response_key}",
                            intents[retrieval_intent] * float(item.get("confidence") or 0.0)))
    return answers


def _policy_answers(tracker: DialogueStateTracker, message: UserUttered, intent: str, domain: Domain,
                    policies: Any) -> list[tuple[str, float, str]]:
    """The responses the policies would run next had the message been read as `intent`, with their source:
    a retrieval action (`utter_faq`) says the ResponseSelector's answer, any other the response itself."""
    view = _as_if(tracker, message, intent)
    _, prediction = policies.predict(view, domain)
    scored = sorted(zip(domain.action_names_or_texts, prediction.probabilities, strict=False), key=lambda s: -s[1])
    answers: list[tuple[str, float, str]] = []
    for action, score in scored:
        if score <= 0 or len(answers) >= ACTIONS_PER_INTENT:
            break
        if action in domain.responses:
            answers.append((action, float(score), "policy"))
            continue
        if action in domain.form_names:  # the form would start by asking for its first missing slot
            question = _form_question(action, tracker, domain)
            if question is not None:
                answers.append((question, float(score), "policy"))
            continue
        selected = _selected_answer(action, message, domain)
        if selected is not None:
            answers.append((selected, float(score), "response_selector"))
    return answers  # action_listen, custom actions, forms: nothing an agent can insert


def _as_if(tracker: DialogueStateTracker, message: UserUttered, intent: str) -> DialogueStateTracker:
    """A copy of the tracker whose latest message has `intent` as its top intent."""
    if message.intent_name == intent:
        return tracker
    view = tracker.copy()
    confidence = next((item.get("confidence") for item in message.parse_data.get("intent_ranking") or []
                       if item.get("name") == intent), None)
    replaced = UserUttered(message.text, {**message.parse_data, "intent": {"name": intent, "confidence": confidence}},
                           message.input_channel, message.message_id, timestamp=message.timestamp,
                           metadata=message.metadata)
    view.events = [replaced if event is message else event for event in view.events]
    # Its own id: the policies cache featurized histories by sender, and the real one must stay intact.
    view.sender_id = f"{tracker.sender_id}#assist"
    if view.latest_message is message:
        view.latest_message = replaced
    return view


def _form_question(form: str, tracker: DialogueStateTracker, domain: Domain) -> str | None:
    """The response a form asks its first unfilled slot with (`utter_ask_<form>_<slot>`, else `utter_ask_<slot>`)."""
    for slot in domain.required_slots_for_form(form):
        if tracker.get_slot(slot) is not None:
            continue
        for name in (f"utter_ask_{form}_{slot}", f"utter_ask_{slot}"):
            if name in domain.responses:
                return name
        return None  # asked by a custom action: nothing to insert
    return None


def _selected_answer(action: str, message: UserUttered, domain: Domain) -> str | None:
    """The full response (`utter_faq/ask_hours`) the selector picked for retrieval action `utter_faq`."""
    retrieval_intent = action[len(UTTER_PREFIX):]
    if not action.startswith(UTTER_PREFIX) or retrieval_intent not in domain.retrieval_intents:
        return None
    selectors = message.parse_data.get(RESPONSE_SELECTOR) or {}
    output = selectors.get(retrieval_intent) or selectors.get("default") or {}
    key = str((output.get("response") or {}).get("intent_response_key") or "")
    return f"{UTTER_PREFIX}{key}" if key.startswith(f"{retrieval_intent}/") else None


def _render(domain: Domain, response: str, slots: dict[str, Any], channel: str | None) -> str | None:
    """The response's text for these slots and channel; the same variation on every call (stable ids)."""
    variation = domain.response_for(response, slots, channel, random.Random(response))
    text = (variation or {}).get("text")
    return str(text).strip() if text else None


def _suggestion_id(sender_id: str, message_timestamp: float, response: str, text: str) -> str:
    """The same id for the same suggestion to the same message, whichever process computes it."""
    digest = hashlib.sha256(f"{sender_id}\0{message_timestamp!r}\0{response}\0{text}".encode()).hexdigest()
    return f"sg_{digest[:20]}"
