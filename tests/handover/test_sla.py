"""SLA policies and clocks: defaults, YAML errors, states, and deadlines that pause outside hours."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from handover.hours import BusinessHours
from handover.sla import SLA_DEFAULTS, InvalidSlaPolicy, SlaPolicy, attainment

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = BusinessHours.from_dict({"timezone": "Europe/Berlin", "weekly": {"mon-fri": ["08:00-18:00"]}})


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_defaults() -> None:
    live, messaging = SLA_DEFAULTS["live_chat"], SLA_DEFAULTS["messaging"]
    assert (live.first_response_seconds, live.target_ratio) == (20, 0.8)
    assert (messaging.first_response_seconds, messaging.target_ratio) == (300, 0.9)
    assert live.resolution_seconds is None and live.clock("resolution", 0.0) is None


def test_states_of_a_live_chat_clock() -> None:
    start = berlin(2026, 12, 2, 10, 0, 0)  # a Wednesday, open
    clock = SLA_DEFAULTS["live_chat"].clock("first_response", start, HOURS)
    at = lambda seconds: start + dt.timedelta(seconds=seconds)  # noqa: E731
    assert clock.deadline == at(20)
    assert [clock.state(at(s)) for s in (0, 14.9, 15, 17.9, 18, 20, 20.5)] == [
        "ok", "ok", "amber", "amber", "red", "red", "breached"]
    assert clock.seconds_left(at(5)) == 15 and clock.seconds_left(at(26)) == -6
    assert clock.next_change(at(1)) == ("amber", at(15))
    assert clock.next_change(at(16)) == ("red", at(18))
    state, when = clock.next_change(at(19))
    assert state == "breached" and at(20) < when <= at(20.01) and clock.state(when) == "breached"
    assert clock.next_change(at(30)) is None and clock.met() is None


def test_a_stopped_clock_is_met_or_not() -> None:
    start = berlin(2026, 12, 2, 10, 0, 0)
    answered = SLA_DEFAULTS["live_chat"].clock("first_response", start, HOURS, stopped_at=start + dt.timedelta(seconds=12))
    assert answered.met() is True and answered.next_change(start) is None
    assert answered.state(start + dt.timedelta(hours=1)) == "ok"  # stopped before it ran out
    late = SLA_DEFAULTS["live_chat"].clock("first_response", start.timestamp(), HOURS, stopped_at=start.timestamp() + 25)
    assert late.met() is False
    assert attainment([True, True, True, False]) == 0.75 and attainment([]) is None


def test_pause_across_the_closing_time() -> None:
    # Queued at 17:58 on a Wednesday, messaging policy (300 s): 120 s today, 180 s from Thursday 08:00.
    clock = SLA_DEFAULTS["messaging"].clock("first_response", berlin(2026, 12, 2, 17, 58), HOURS)
    assert clock.deadline == berlin(2026, 12, 3, 8, 3)
    assert clock.state(berlin(2026, 12, 2, 23, 0)) == "ok"  # the night does not count
    assert clock.seconds_left(berlin(2026, 12, 3, 8, 1)) == 120
    assert clock.state(berlin(2026, 12, 3, 8, 2)) == "amber"
    assert clock.state(berlin(2026, 12, 3, 8, 4)) == "breached"


def test_pause_over_a_weekend() -> None:
    # Resolution within 4 business hours, queued Friday 16:00: 2 hours Friday, 2 hours Monday.
    policy = SlaPolicy(name="email", first_response_seconds=3600, next_response_seconds=3600,
                       resolution_seconds=4 * 3600, target_ratio=0.9)
    clock = policy.clock("resolution", berlin(2026, 12, 4, 16, 0), HOURS)
    assert clock.deadline == berlin(2026, 12, 7, 10, 0)
    assert clock.elapsed_seconds(berlin(2026, 12, 6, 12, 0)) == 2 * 3600
    assert clock.next_change(berlin(2026, 12, 5, 12)) == ("amber", berlin(2026, 12, 7, 9, 0))
    # Without pausing the weekend counts.
    nonstop = policy.model_copy(update={"pause_outside_hours": False}).clock(
        "resolution", berlin(2026, 12, 4, 16, 0), HOURS)
    assert nonstop.deadline == berlin(2026, 12, 4, 20, 0)
    assert nonstop.state(berlin(2026, 12, 5, 9)) == "breached"


def test_policy_from_yaml_and_its_errors() -> None:
    policy = SlaPolicy.from_dict("vip", {"first_response_seconds": 10, "next_response_seconds": 30,
                                         "target_ratio": 0.95, "pause_outside_hours": False})
    assert policy.name == "vip" and policy.warn_ratio == 0.75
    # A budget left out sets no target for that clock.
    first_only = SlaPolicy.from_dict("chat", {"first_response_seconds": 20, "target_ratio": 0.8})
    assert first_only.clock("next_response", 0.0) is None and first_only.clock("first_response", 0.0) is not None
    for data, words in [
        ({"first_response_seconds": 0, "next_response_seconds": 3, "target_ratio": 0.8}, ["first_response_seconds", "0"]),
        ({"first_response_seconds": 5, "next_response_seconds": 3, "target_ratio": 80}, ["target_ratio", "80"]),
        ({"first_response_seconds": 5, "next_response_seconds": 3, "target_ratio": 0.8, "warn": 1}, ["warn"]),
        ({"first_response_seconds": 5, "next_response_seconds": 3, "target_ratio": 0.8, "warn_ratio": 0.95},
         ["warn_ratio", "red_ratio"]),
        ({"first_response_seconds": 5, "next_response_seconds": 3}, ["target_ratio", "Field required"]),
    ]:
        with pytest.raises(InvalidSlaPolicy) as caught:
            SlaPolicy.from_dict("vip", data, where="handover.yml")
        assert str(caught.value).startswith("handover.yml: SLA policy 'vip'")
        for word in words:
            assert word in str(caught.value)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        SLA_DEFAULTS["live_chat"].clock("first_response", dt.datetime(2026, 12, 2, 10))
