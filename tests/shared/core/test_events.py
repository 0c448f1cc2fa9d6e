"""Events serialise to exactly Rasa's JSON and parse back, including rasa_sdk's helper dicts."""

from __future__ import annotations

import datetime
import json

import pytest
import rasa_sdk.events as sdk

from bot.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AgentUttered,
    AllSlotsReset,
    BotUttered,
    ConversationMerged,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    HandedBack,
    HandoverAccepted,
    HandoverCancelled,
    HandoverDeclined,
    HandoverLabelsSet,
    HandoverOffered,
    HandoverOfferExpired,
    HandoverReclaimed,
    HandoverRequested,
    HandoverResolved,
    HandoverTakenOver,
    HandoverTransferred,
    InvalidEvent,
    InvitationEvent,
    LoopInterrupted,
    MessageReceipt,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionEnded,
    SessionStarted,
    SlotSet,
    StoryExported,
    UserUtteranceReverted,
    UserUttered,
    event_names,
    events_from_dicts,
)
from bot.shared.errors import BotError

TS = 1700000000.5
PARSE = {
    "intent": {"name": "greet", "confidence": 0.9},
    "entities": [{"entity": "city", "value": "Berlin", "start": 10, "end": 16}],
    "intent_ranking": [{"name": "greet", "confidence": 0.9}, {"name": "bye", "confidence": 0.1}],
    "text": "hello from Berlin",
}

ONE_OF_EACH: list[Event] = [
    UserUttered("hello from Berlin", PARSE, input_channel="rest", message_id="m1", timestamp=TS, metadata={"a": 1}),
    BotUttered(
        "pick one",
        {"buttons": [{"title": "Yes", "payload": "/affirm"}], "quick_replies": None, "elements": None,
         "attachment": None, "image": "http://x/y.png", "custom": {"k": "v"}},
        timestamp=TS,
        metadata={"utter_action": "utter_ask"},
    ),
    ActionExecuted("utter_greet", "RulePolicy", 1.0, timestamp=TS),
    ActionExecuted(action_text="Hi there!", timestamp=TS, hide_rule_turn=True),
    SlotSet("city", "Berlin", timestamp=TS),
    AllSlotsReset(timestamp=TS),
    Restarted(timestamp=TS),
    UserUtteranceReverted(timestamp=TS),
    ActionReverted(timestamp=TS),
    StoryExported(timestamp=TS),
    FollowupAction("action_x", timestamp=TS),
    ConversationPaused(timestamp=TS),
    ConversationResumed(timestamp=TS),
    ActiveLoop("restaurant_form", timestamp=TS),
    ActiveLoop(None, timestamp=TS),
    LoopInterrupted(True, timestamp=TS),
    ActionExecutionRejected("restaurant_form", "RulePolicy", 0.7, timestamp=TS),
    SessionStarted(timestamp=TS),
    SessionEnded(timestamp=TS),
    AgentUttered("an agent here", {"x": 1}, timestamp=TS),
    EntitiesAdded([{"entity": "city", "value": "Paris"}], timestamp=TS),
    DefinePrevUserUtteredFeaturization(True, timestamp=TS),
    ReminderScheduled(
        "remind", datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC), [{"entity": "a", "value": "b"}],
        "r1", False, timestamp=TS,
    ),
    ReminderCancelled("r1", "remind", None, timestamp=TS),
    HandoverRequested("asked_for_human", 2, "billing", timestamp=TS, metadata={"sla_seconds": 120}),
    HandedBack("resolved", timestamp=TS),
    HandedBack("answered", "anna", timestamp=TS),
    HandoverRequested("asked_for_human", 0, None, "billing", "de", timestamp=TS),
    HandoverOffered("anna", timestamp=TS),
    HandoverOfferExpired("anna", timestamp=TS),
    HandoverDeclined("anna", timestamp=TS),
    HandoverAccepted("anna", timestamp=TS),
    HandoverTakenOver("anna", timestamp=TS),
    HandoverTransferred("anna", None, "billing", "refund", timestamp=TS),
    HandoverResolved("anna", timestamp=TS),
    HandoverCancelled("customer_cancelled", timestamp=TS),
    HandoverReclaimed("anna", timestamp=TS),
    HandoverLabelsSet(["refund", "vip"], "anna", timestamp=TS),
    MessageReceipt("read", 12, timestamp=TS),
    InvitationEvent("full_cart", "accepted", "https://shop.test/cart", timestamp=TS),
    ConversationMerged("webchat-0a1b", 7, timestamp=TS),
]


def test_the_examples_cover_every_event_name() -> None:
    assert {event.type_name for event in ONE_OF_EACH} == set(event_names())


@pytest.mark.parametrize("event", ONE_OF_EACH, ids=lambda e: e.type_name)
def test_round_trip_through_json(event: Event) -> None:
    data = json.loads(json.dumps(event.as_dict()))
    again = Event.from_dict(data)
    assert type(again) is type(event)
    assert again.as_dict() == event.as_dict()
    assert again == event
    assert again.timestamp == TS


def test_exact_rasa_shapes() -> None:
    assert SlotSet("city", "Berlin", timestamp=TS).as_dict() == {
        "event": "slot", "timestamp": TS, "name": "city", "value": "Berlin"
    }
    assert ActionExecuted("action_listen", "MemoizationPolicy", 1.0, timestamp=TS).as_dict() == {
        "event": "action", "timestamp": TS, "name": "action_listen", "policy": "MemoizationPolicy",
        "confidence": 1.0, "action_text": None, "hide_rule_turn": False,
    }
    assert UserUttered("hi", {"intent": {"name": "greet", "confidence": 1.0}}, timestamp=TS).as_dict() == {
        "event": "user", "timestamp": TS, "text": "hi",
        "parse_data": {"intent": {"name": "greet", "confidence": 1.0}, "entities": [], "text": "hi",
                       "message_id": None, "metadata": {}},
        "input_channel": None, "message_id": None, "metadata": {},
    }
    assert BotUttered("hey", timestamp=TS).as_dict() == {
        "event": "bot", "timestamp": TS, "text": "hey", "data": {}, "metadata": {}
    }
    assert ActiveLoop(None, timestamp=TS).as_dict() == {"event": "active_loop", "timestamp": TS, "name": None}
    assert LoopInterrupted(False, timestamp=TS).as_dict() == {
        "event": "loop_interrupted", "timestamp": TS, "is_interrupted": False
    }
    assert ReminderScheduled("i", datetime.datetime(2030, 1, 1), name="n", timestamp=TS).as_dict() == {
        "event": "reminder", "timestamp": TS, "intent": "i", "date_time": "2030-01-01T00:00:00",
        "entities": None, "name": "n", "kill_on_user_msg": True,
    }
    # Base events carry metadata only when there is some, like Rasa.
    assert Restarted(timestamp=TS).as_dict() == {"event": "restart", "timestamp": TS}
    assert Restarted(timestamp=TS, metadata={"k": 1}).as_dict() == {"event": "restart", "timestamp": TS, "metadata": {"k": 1}}
    assert HandoverRequested("negative_sentiment", "high", None, timestamp=TS).as_dict() == {
        "event": "handover", "timestamp": TS, "reason": "negative_sentiment", "priority": "high", "skill": None
    }
    # Fields added for the human side appear only when set: the older shape stays as it was.
    assert HandedBack("done", timestamp=TS).as_dict() == {"event": "handback", "timestamp": TS, "reason": "done"}
    assert HandoverRequested("r", 1, None, "billing", timestamp=TS).as_dict() == {
        "event": "handover", "timestamp": TS, "reason": "r", "priority": 1, "skill": None, "team": "billing"
    }
    assert HandoverTransferred("anna", "ben", timestamp=TS).as_dict() == {
        "event": "handover_transferred", "timestamp": TS, "by": "anna", "to_agent": "ben", "to_team": None,
        "note": None,
    }


def test_user_event_properties() -> None:
    event = UserUttered("hello from Berlin", PARSE)
    assert event.intent_name == "greet"
    assert event.entities[0]["value"] == "Berlin"
    assert UserUttered("x").intent_name is None


def test_rasa_sdk_helpers_parse() -> None:
    when = datetime.datetime(2030, 5, 1, 12, 0, tzinfo=datetime.UTC)
    dicts = [
        sdk.UserUttered("hi", {"intent": {"name": "greet"}}, input_channel="rest"),
        sdk.BotUttered("hey", {"buttons": []}),
        sdk.SlotSet("city", "Paris"),
        sdk.Restarted(),
        sdk.SessionStarted(),
        sdk.SessionEnded(),
        sdk.UserUtteranceReverted(),
        sdk.AllSlotsReset(),
        sdk.ReminderScheduled("remind_me", when, name="r"),
        sdk.ReminderCancelled(name="r"),
        sdk.ActionReverted(),
        sdk.StoryExported(),
        sdk.FollowupAction("action_y"),
        sdk.ConversationPaused(),
        sdk.ConversationResumed(),
        sdk.ActionExecuted("action_z", policy="p", confidence=0.5),
        sdk.AgentUttered("agent text"),
        sdk.ActiveLoop("form_a"),
        sdk.LoopInterrupted(True),
        sdk.ActionExecutionRejected("action_q"),
    ]
    parsed = events_from_dicts(dicts)
    assert [type(e).__name__ for e in parsed] == [
        "UserUttered", "BotUttered", "SlotSet", "Restarted", "SessionStarted", "SessionEnded",
        "UserUtteranceReverted", "AllSlotsReset", "ReminderScheduled", "ReminderCancelled", "ActionReverted",
        "StoryExported", "FollowupAction", "ConversationPaused", "ConversationResumed", "ActionExecuted",
        "AgentUttered", "ActiveLoop", "LoopInterrupted", "ActionExecutionRejected",
    ]
    assert parsed[2] == SlotSet("city", "Paris")
    assert parsed[8].trigger_date_time == when and parsed[8].name == "r"
    assert parsed[15].policy == "p" and parsed[15].confidence == 0.5
    # rasa_sdk sends "timestamp": None; we stamp it.
    assert all(isinstance(e.timestamp, float) for e in parsed)
    assert parsed[0].intent_name == "greet" and parsed[0].input_channel == "rest"


def test_legacy_names_load_as_modern_events() -> None:
    assert Event.from_dict({"event": "form", "name": "f"}) == ActiveLoop("f")
    assert Event.from_dict({"event": "form", "name": "f"}).as_dict()["event"] == "active_loop"
    assert Event.from_dict({"event": "form_validation", "validate": False}) == LoopInterrupted(True)


def test_unknown_event_names_it_and_suggests() -> None:
    with pytest.raises(BotError) as raised:
        Event.from_dict({"event": "slto", "name": "x"}, location="tracker.json:3")
    text = str(raised.value)
    assert "'slto'" in text and "Did you mean 'slot'" in text and text.startswith("tracker.json:3")


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"name": "x"}, "no \"event\" key"),
        ("slot", "must be an object"),
        ({"event": "slot", "value": 1}, "'name'"),
        ({"event": "action"}, "needs a \"name\""),
        ({"event": "reminder", "intent": "i", "date_time": "next tuesday"}, "ISO"),
        ({"event": "followup"}, "'name'"),
    ],
)
def test_malformed_events_raise_invalid_event(data: object, needle: str) -> None:
    with pytest.raises(InvalidEvent, match=needle):
        Event.from_dict(data)  # type: ignore[arg-type]


def test_equality_ignores_timestamp_and_events_hash() -> None:
    assert SlotSet("a", 1, timestamp=1.0) == SlotSet("a", 1, timestamp=2.0)
    assert SlotSet("a", 1) != SlotSet("a", 2)
    assert SlotSet("a", 1) != FollowupAction("a")
    assert UserUttered("hi", {"intent": {"name": "greet"}}, message_id="1") == UserUttered(
        "hi", {"intent": {"name": "greet"}}, message_id="2"
    )
    assert len({Restarted(), Restarted(), SessionStarted(), ActionExecuted("a"), ActionExecuted("a")}) == 3
    assert SlotSet("a", [1, {"b": 2}]).fingerprint() == SlotSet("a", [1, {"b": 2}], timestamp=5).fingerprint()
