"""The built-in notices read as a person would write them, in German and English."""

from handover.notices import notice_text


def test_a_one_minute_wait_is_singular_in_both_languages() -> None:
    assert "etwa 1 Minute." in notice_text("utter_handover_queue_update", "de", position=1, wait_minutes=1)
    assert "about 1 minute." in notice_text("utter_handover_queue_update", "en", position=1, wait_minutes=1)


def test_a_longer_wait_is_plural() -> None:
    german = notice_text("utter_handover_queued", "de-DE", position=3, wait_minutes=4)
    assert "Position 3" in german and "etwa 4 Minuten." in german
    assert "about 4 minutes." in notice_text("utter_handover_queued", "en", position=3, wait_minutes=4)


def test_an_unknown_language_falls_back_to_english_and_unfilled_values_stay_visible() -> None:
    text = notice_text("utter_handover_closed", "fr")
    assert text.startswith("Our team is not working right now") and "{opening}" in text
