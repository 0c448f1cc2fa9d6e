"""Agent assist: how long the suggestions for one customer message take to compute (p50/p99).

When a customer writes in a conversation a person owns, the server computes suggested replies
(`handover.suggestions.suggest`: the ResponseSelector's answers, the policies' next responses for
the three most likely intents, the intent's own response, all rendered for the customer's
language) and pushes them to the agent's console, which must show them within 200 ms of the
message. This measures that computation on the example assistant's trained model, for German and
English customer messages in a conversation that already has some history, and prints the NLU
parse time beside it for reference (NLU runs for every message anyway, before the suggestions).

    .venv/bin/bot train                      # the example assistant's model in models/
    .venv/bin/python bench/suggestions.py [--model models] [--rounds 20] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.core.agent import load_dialogue_model  # noqa: E402  (after the path is set)
from bot.core.tracker import DialogueStateTracker  # noqa: E402
from bot.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered  # noqa: E402
from handover.suggestions import suggest  # noqa: E402

# What customers write to a person once they have one: questions, thanks, complaints, in both languages.
MESSAGES = [
    "Wo ist mein Paket?", "Wann habt ihr geöffnet?", "Was kostet der Versand?", "Danke schön",
    "Ich möchte meine Adresse ändern", "Wie kann ich etwas zurückschicken?", "Das ist doch eine Frechheit!",
    "Welche Zahlungsarten gibt es?", "Hallo", "Tschüss",
    "Where is my parcel?", "What are your opening hours?", "How much is shipping?", "thanks a lot",
    "I want to change my address", "How do I return an item?", "This is ridiculous!",
    "Which payment methods do you accept?", "hello", "bye",
]
HISTORY = ["Hallo", "Ich möchte mit einem Menschen sprechen"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def _tracker(domain: Any, history: list[dict[str, Any]], text: str, parse: dict[str, Any]) -> DialogueStateTracker:
    """A conversation handed to a person: a greeting, the handover request, then the customer's new message."""
    language = (parse.get("language") or {}).get("name")
    events: list[Any] = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for earlier_text, earlier_parse in history:
        events += [UserUttered(earlier_text, earlier_parse, "rest"), ActionExecuted("utter_greet"),
                   BotUttered("…"), ActionExecuted("action_listen")]
    events.append(UserUttered(text, parse, "rest"))
    if language and domain.slot("language") is not None:
        events.append(SlotSet("language", language))
    return DialogueStateTracker.from_events("bench", events, domain.slots)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "models", help="archive or folder of archives")
    parser.add_argument("--rounds", type=int, default=20, help="times each message is measured")
    parser.add_argument("--out", type=Path, help="write the figures as JSON")
    args = parser.parse_args()

    if not (args.model.is_file() or any(args.model.glob("*.tar.gz"))):
        sys.exit(f"No model archive in {args.model}: run `.venv/bin/bot train` in the repository root first.")
    loaded, domain, policies = load_dialogue_model(args.model)
    nlu = loaded.nlu
    history = [(text, nlu.parse(text)) for text in HISTORY]
    parse_ms, suggest_ms, counts = [], [], []
    for _ in range(args.rounds):
        for text in MESSAGES:
            started = time.perf_counter()
            parse = nlu.parse(text)
            parsed = time.perf_counter()
            tracker = _tracker(domain, history, text, parse)
            begun = time.perf_counter()
            result = suggest(tracker, domain, policies)
            suggest_ms.append((time.perf_counter() - begun) * 1000)
            parse_ms.append((parsed - started) * 1000)
            counts.append(len(result.suggestions))
    figures = {
        "model": str(loaded.path), "messages": len(suggest_ms),
        "suggest_ms_p50": round(statistics.median(suggest_ms), 2),
        "suggest_ms_p99": round(percentile(suggest_ms, 0.99), 2),
        "suggest_ms_max": round(max(suggest_ms), 2),
        "parse_ms_p50": round(statistics.median(parse_ms), 2), "parse_ms_p99": round(percentile(parse_ms, 0.99), 2),
        "suggestions_per_message": round(statistics.mean(counts), 2),
        "messages_with_a_suggestion": round(sum(1 for c in counts if c) / len(counts), 3),
    }
    for key, value in figures.items():
        print(f"{key:28} {value}")
    example = suggest(_tracker(domain, history, "Was kostet der Versand?", nlu.parse("Was kostet der Versand?")),
                      domain, policies)
    print("\nexample, 'Was kostet der Versand?':")
    for item in example.suggestions:
        print(f"  {item.confidence:.3f} {item.source:18} {item.response:32} {item.text[:70]}")
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
