"""Agent assist: suggested replies from the trained model, pushed on the live feed, and what agents do with them.

End to end on the help desk (rules, keyword NLU) over the real server on SQLite and PostgreSQL, and
`suggest` itself on a small trained FAQ bot whose NLU output carries a ResponseSelector's reading.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa
import websockets

from bot.core.tracker import DialogueStateTracker
from bot.shared.core.events import ActionExecuted, SlotSet, UserUttered
from handover import tables
from handover.suggestions import suggest
from tests.handover.test_api import _agent, _login, _say

FAQ_DOMAIN = """\
version: "3.1"
intents: [greet, thanks, faq, order]
slots:
  language:
    type: categorical
    values: [de, en]
    influence_conversation: false
    mappings: [{type: custom}]
  order_id:
    type: text
    influence_conversation: false
    mappings: [{type: from_text, conditions: [{active_loop: order_form}]}]
forms:
  order_form:
    required_slots: [order_id]
responses:
  utter_ask_order_id:
    - text: "Wie lautet Ihre Bestellnummer?"
      condition: [{type: slot, name: language, value: de}]
    - text: "What is your order number?"
  utter_greet:
    - text: "Guten Tag!"
      condition: [{type: slot, name: language, value: de}]
    - text: "Hello!"
  utter_thanks:
    - text: "Gern geschehen, Bestellung {order_id}!"
      condition: [{type: slot, name: language, value: de}]
    - text: "You're welcome, order {order_id}!"
  utter_faq/opening_hours:
    - text: "Wir sind Mo–Fr 8–18 Uhr für Sie da."
      condition: [{type: slot, name: language, value: de}]
    - text: "We are open Mon–Fri 8am–6pm."
  utter_faq/shipping:
    - text: "Der Versand kostet 4,90 €."
      condition: [{type: slot, name: language, value: de}]
    - text: "Shipping costs €4.90."
"""
FAQ_NLU = """\
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hallo
      - hello
  - intent: thanks
    examples: |
      - danke
      - thanks
  - intent: faq/opening_hours
    examples: |
      - öffnungszeiten
      - opening hours
  - intent: faq/shipping
    examples: |
      - versand
      - shipping
  - intent: order
    examples: |
      - bestellung
      - my order
rules:
  - rule: greet
    steps: [{intent: greet}, {action: utter_greet}]
  - rule: thanks
    steps: [{intent: thanks}, {action: utter_thanks}]
  - rule: faq
    steps: [{intent: faq}, {action: utter_faq}]
  - rule: order
    steps: [{intent: order}, {action: order_form}, {active_loop: order_form}]
"""
FAQ_CONFIG = """\
recipe: default.v1
language: de
pipeline:
  - name: WhitespaceTokenizer
  - name: KeywordIntentClassifier
policies:
  - name: RulePolicy
"""


@pytest.fixture(scope="module")
def faq_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """The domain and trained policies of a small FAQ bot with retrieval intents (rules: trains in seconds)."""
    from bot.core.agent import load_dialogue_model
    from bot.model.training import train
    from bot.shared.project import Project

    root = tmp_path_factory.mktemp("faqdesk")
    (root / "data").mkdir()
    (root / "domain.yml").write_text(FAQ_DOMAIN, encoding="utf-8")
    (root / "config.yml").write_text(FAQ_CONFIG, encoding="utf-8")
    (root / "data" / "nlu.yml").write_text(FAQ_NLU, encoding="utf-8")
    train(Project.discover(root), root / "models")
    _, domain, policies = load_dialogue_model(root / "models")
    return domain, policies


def _selector(*ranked: tuple[str, float]) -> dict[str, Any]:
    """The ResponseSelector's output for retrieval intent `faq`, as bot/nlu/selectors writes it."""
    best = ranked[0][0]
    return {"all_retrieval_intents": ["faq"], "faq": {
        "response": {"intent_response_key": best, "utter_action": f"utter_{best}", "confidence": ranked[0][1]},
        "ranking": [{"id": n, "intent_response_key": key, "confidence": confidence}
                    for n, (key, confidence) in enumerate(ranked)]}}


def _tracker(domain: Any, text: str, ranking: list[tuple[str, float]], detected: str | None,
             selector: dict[str, Any] | None = None, **slots: Any) -> DialogueStateTracker:
    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    parse = {"intent": intents[0], "intent_ranking": intents, "entities": []}
    if selector:
        parse["response_selector"] = selector
    if detected:
        parse["language"] = {"name": detected, "confidence": 0.99}
    events = [ActionExecuted("action_listen"), UserUttered(text, parse, "rest", timestamp=1_800_000_000.5)]
    events += [SlotSet(name, value) for name, value in slots.items()]
    return DialogueStateTracker.from_events("kim", events, domain.slots)


def test_a_faq_question_gets_the_selectors_answers_in_the_customers_language(faq_model) -> None:
    domain, policies = faq_model
    tracker = _tracker(domain, "Wann habt ihr offen?", [("faq", 0.9), ("thanks", 0.1)], "de",
                       _selector(("faq/opening_hours", 0.8), ("faq/shipping", 0.2)), language="de")
    result = suggest(tracker, domain, policies).as_dict()
    assert result["conversation_id"] == "kim"
    assert result["for_message"] == {"text": "Wann habt ihr offen?", "timestamp": 1_800_000_000.5,
                                     "intent": {"name": "faq", "confidence": 0.9}}
    listed = [(s["response"], s["text"], s["source"]) for s in result["suggestions"]]
    assert listed[0] == ("utter_faq/opening_hours", "Wir sind Mo–Fr 8–18 Uhr für Sie da.", "response_selector")
    assert ("utter_faq/shipping", "Der Versand kostet 4,90 €.", "response_selector") in listed
    # the rule for the second intent says what the bot would have said, filled with the slots (None: unset)
    assert ("utter_thanks", "Gern geschehen, Bestellung None!", "policy") in listed
    confidences = [s["confidence"] for s in result["suggestions"]]
    assert confidences == sorted(confidences, reverse=True) and confidences[0] == pytest.approx(0.9)
    again = suggest(tracker, domain, policies).as_dict()
    assert [s["id"] for s in again["suggestions"]] == [s["id"] for s in result["suggestions"]]  # stable ids


def test_the_language_slot_and_the_detected_language_pick_the_variation(faq_model) -> None:
    domain, policies = faq_model
    english = _tracker(domain, "thanks", [("thanks", 0.97)], "en", language="en", order_id="A-17")
    [first, *_] = suggest(english, domain, policies).suggestions
    assert (first.response, first.text, first.source) == ("utter_thanks", "You're welcome, order A-17!", "policy")
    # no language slot yet: the language NLU detected in the message decides
    german = _tracker(domain, "danke", [("thanks", 0.97)], "de", order_id="A-17")
    assert suggest(german, domain, policies).suggestions[0].text == "Gern geschehen, Bestellung A-17!"


def test_a_form_suggests_its_question_for_the_first_missing_slot(faq_model) -> None:
    domain, policies = faq_model
    asking = _tracker(domain, "my order", [("order", 0.95)], "en", language="en")
    [first, *_] = suggest(asking, domain, policies).suggestions
    assert (first.response, first.text, first.source) == ("utter_ask_order_id", "What is your order number?", "policy")
    known = _tracker(domain, "my order", [("order", 0.95)], "en", language="en", order_id="A-17")
    assert "utter_ask_order_id" not in [s.response for s in suggest(known, domain, policies).suggestions]


def test_a_conversation_without_a_customer_message_has_no_suggestions(faq_model) -> None:
    domain, policies = faq_model
    tracker = DialogueStateTracker.from_events("kim", [ActionExecuted("action_listen")], domain.slots)
    assert suggest(tracker, domain, policies).as_dict() == {"conversation_id": "kim", "for_message": None,
                                                           "suggestions": []}


async def _next_of_kind(feed: Any, kind: str, conversation_id: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(feed.recv(), 60))
        if message.get("kind") == kind and message.get("conversation_id") == conversation_id:
            return message


async def test_suggestions_reach_the_agent_live_and_their_use_is_recorded(helpdesk_app: Any) -> None:
    app = helpdesk_app
    await _agent(app, "erika", languages=["de", "en"])
    erika = await _login(app, "erika")
    await _say(app, "anna", "Ich möchte mit einem Menschen sprechen")
    _, response = await app.ctx.api.post("/handover/conversations/anna/accept", headers=erika)
    assert response.status == 200, response.text

    ws_url = app.ctx.base.replace("http", "ws") + "/handover/ws"
    async with websockets.connect(ws_url, additional_headers={"Cookie": erika["Cookie"]}) as feed:
        json.loads(await feed.recv())  # hello
        assert await _say(app, "anna", "Danke") == []  # the agent answers, not the bot
        pushed = await _next_of_kind(feed, "suggestions", "anna")
    data = pushed["data"]
    assert data["conversation_id"] == "anna" and data["for_message"]["text"] == "Danke"
    assert data["for_message"]["intent"]["name"] == "thanks"
    [thanks] = [s for s in data["suggestions"] if s["response"] == "utter_thanks"]
    assert thanks["text"] == "Gern geschehen!" and thanks["source"] == "policy"  # German, as the bot would say

    _, response = await app.ctx.api.get("/handover/conversations/anna/suggestions", headers=erika)
    assert response.status == 200 and response.json == data  # the same, read back by any process

    path = f"/handover/conversations/anna/suggestions/{thanks['id']}"
    _, response = await app.ctx.api.post(f"{path}/used", headers=erika)
    assert response.status == 204, response.text
    _, response = await app.ctx.api.post(f"{path}/dismissed", headers=erika)
    assert response.status == 204
    _, response = await app.ctx.api.post("/handover/conversations/anna/suggestions/sg_nope/used", headers=erika)
    assert response.status == 404 and "sg_nope" in response.json["error"]

    def feedback(conn: sa.Connection) -> list[dict[str, Any]]:
        table = tables.suggestion_feedback
        return [dict(row) for row in conn.execute(sa.select(table).order_by(table.c.id)).mappings()]

    rows = await app.ctx.handover.service.tracker_store.run_in_transaction(feedback, write=False)
    assert [(r["agent"], r["sender_id"], r["action"], r["response"], r["text"], r["intent"]) for r in rows] == [
        ("erika", "anna", "used", "utter_thanks", "Gern geschehen!", "thanks"),
        ("erika", "anna", "dismissed", "utter_thanks", "Gern geschehen!", "thanks")]


async def test_suggestions_are_computed_on_demand_and_refuse_strangers(helpdesk_app: Any) -> None:
    app = helpdesk_app
    for method, path in (("get", "/handover/conversations/ben/suggestions"),
                         ("post", "/handover/conversations/ben/suggestions/sg_x/used")):
        _, response = await getattr(app.ctx.api, method)(path)
        assert response.status == 401 and response.json["error"]
    await _agent(app, "erika")
    erika = await _login(app, "erika")
    await _say(app, "ben", "agent please")  # the message that started the handover: nothing pushed for it
    _, response = await app.ctx.api.get("/handover/conversations/ben/suggestions", headers=erika)
    assert response.status == 200, response.text
    assert response.json["for_message"]["text"] == "agent please"
    assert response.json["for_message"]["intent"]["name"] == "human_handoff"
    assert response.json["suggestions"] == []  # the bot would hand over: no response an agent could insert
    _, response = await app.ctx.api.get("/handover/conversations/nobody/suggestions", headers=erika)
    assert response.status == 404 and "nobody" in response.json["error"]

