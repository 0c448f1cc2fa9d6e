"""The anger lexicon: negation, intensifiers, phrases, shouting, and picking the language."""

from __future__ import annotations

from handover.sentiment import guess_language, is_angry, sentiment_score


def test_negation_turns_mild_words_around_but_not_insults() -> None:
    assert sentiment_score("not bad", "en") > 0 > sentiment_score("bad", "en")
    assert sentiment_score("nicht schlecht", "de") > 0
    assert sentiment_score("nicht zufrieden", "de") < 0 < sentiment_score("zufrieden", "de")
    # The negation belongs to the verb; the insult stays one.
    assert is_angry("Don't send me another useless link!", "en")


def test_intensifiers_phrases_and_shouting() -> None:
    assert sentiment_score("völlig unfähig", "de") < sentiment_score("unfähig", "de") < 0
    assert is_angry("Ich habe die Nase voll.", "de") and is_angry("I'm fed up.", "en")
    assert sentiment_score("WHY IS MY ORDER NOT HERE", "en") < sentiment_score("why is my order not here", "en")
    assert sentiment_score("Where is it??", "en") < sentiment_score("Where is it?", "en")
    # Stems match German inflections and compounds.
    assert sentiment_score("Unverschämtheit", "de") <= -3


def test_plain_requests_are_not_angry() -> None:
    for text, language in [("Wo ist mein Paket?", "de"), ("My parcel arrived damaged, what now?", "en"),
                           ("Thanks, that helped!", "en"), ("Danke, schönen Tag noch!", "de")]:
        assert not is_angry(text, language), text


def test_language_is_guessed_when_not_given() -> None:
    assert guess_language("Ich habe keine Bestätigung bekommen") == "de"
    assert guess_language("I did not get a confirmation for my order") == "en"
    assert guess_language("JJD000390007812345") is None
    # "mist*" is a German stem: an English "mistake" must not be read as German swearing.
    assert not is_angry("I think there is a mistake in my order", None)
    assert is_angry("Ihr seid völlig unfähig", None) and is_angry("You are completely useless", None)
