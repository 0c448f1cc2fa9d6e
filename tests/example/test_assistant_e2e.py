"""The example assistant end to end: train it (small epochs), talk to it through the Agent in both languages.

Custom actions run in-process against the local parcel service; the opening-hours clock is fixed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

# The example's pipeline and policies with fewer epochs, so that training takes minutes, not an hour.
FAST_CONFIG = """
recipe: default.v1
language: de
pipeline:
- name: WhitespaceTokenizer
- name: LanguageDetector
  languages: [de, en]
- name: RegexFeaturizer
- name: CountVectorsFeaturizer
- name: CountVectorsFeaturizer
  analyzer: char_wb
  min_ngram: 1
  max_ngram: 4
- name: DIETClassifier
  epochs: 20
  random_seed: 42
- name: EntitySynonymMapper
- name: ResponseSelector
  epochs: 10
  random_seed: 42
- name: FallbackClassifier
  threshold: 0.3
policies:
- name: MemoizationPolicy
- name: RulePolicy
- name: TEDPolicy
  max_history: 5
  epochs: 5
  random_seed: 42
"""


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("bot.core.policies.ensemble", reason="the policy ensemble has not landed yet")
    pytest.importorskip("bot.core.actions.registry", reason="the action registry has not landed yet")
    from bot.model.training import train
    from bot.shared.project import Project

    folder = tmp_path_factory.mktemp("example-model")
    (folder / "config.yml").write_text(FAST_CONFIG)
    project = Project.discover(REPO, config=folder / "config.yml")
    return train(project, folder / "models").model_path


@pytest.fixture
async def agent(trained_model: Path, parcel_service: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    from bot.core.agent import Agent
    from bot.stores import InMemoryLockStore, InMemoryTrackerStore

    monkeypatch.setenv("BOT_NOW", "2025-06-03T10:30:00")  # a Tuesday morning: open
    loaded = Agent.load(trained_model, project_dir=REPO, tracker_store=InMemoryTrackerStore(),
                        lock_store=InMemoryLockStore())
    yield loaded
    await loaded.close()


async def say(agent: Any, text: str, sender: str) -> list[str]:
    return [reply.get("text", "") for reply in await agent.handle_text(text, sender)]


async def test_german_parcel_tracking_with_the_form(agent: Any) -> None:
    assert (await say(agent, "Hallo", "de-1"))[0].startswith("Hallo! Ich bin der digitale Assistent")
    assert await say(agent, "wo ist mein paket", "de-1") == [
        "Wie lautet Ihre Sendungsnummer? Sie steht in der Versandbestätigung (z. B. JJD000390007812345)."]
    replies = await say(agent, "12345", "de-1")
    assert replies[0].startswith("Das sieht nicht nach einer gültigen Sendungsnummer aus.")
    assert replies[-1].startswith("Wie lautet Ihre Sendungsnummer?")
    replies = await say(agent, "JJD000390007812345", "de-1")
    assert replies == ["Ihre Sendung JJD000390007812345 ist unterwegs. Letzter Scan: Di, 03.06. um 4:05 Uhr in "
                       "Paketzentrum Börnicke. Voraussichtliche Zustellung: Mi, 04.06., 10:00–14:00 Uhr."]


async def test_english_opening_hours_and_order_status(agent: Any) -> None:
    assert await say(agent, "Are you open on Saturday?", "en-1") == ["On Saturdays we're open 9:00 am–2:00 pm."]
    replies = await say(agent, "What's the status of my order A-123456?", "en-1")
    assert replies == ["Your order A-123456 has been shipped. Items: 1 × Wanderschuhe Gr. 42. Tracking number: "
                       "JJD000390007812345. Expected delivery: Wed 4 Jun, 10:00 am–2:00 pm."]
    assert (await say(agent, "thank you", "en-1")) == ["You're welcome! Is there anything else I can do for you?"]


async def test_complaint_offers_a_human(agent: Any) -> None:
    replies = await agent.handle_text("The parcel arrived damaged", "en-2")
    assert replies[0]["text"].startswith("I'm very sorry about that!")
    assert [b["payload"] for b in replies[1]["buttons"]] == ["/affirm", "/deny"]
    assert (await say(agent, "/affirm", "en-2"))[0].startswith("I'm passing this on to a colleague.")


async def test_address_change_and_handoff_by_intent(agent: Any) -> None:
    replies = await say(agent, '/delivery_address_change{"street": "Lindenweg 7", "zip": "01067", "city": "Dresden"}',
                        "de-2")
    assert replies[0].startswith("Gern ändere ich die Lieferadresse.")
    assert "Lindenweg 7, 01067 Dresden" in replies[-1]
    assert (await say(agent, "/human_handoff", "de-2"))[0].startswith("Ich gebe Ihr Anliegen an eine Kollegin")


async def test_two_fallbacks_in_a_row_offer_a_human(agent: Any) -> None:
    assert (await say(agent, "/nlu_fallback", "de-3"))[0].startswith("Entschuldigung, das habe ich nicht verstanden.")
    assert (await say(agent, "/nlu_fallback", "de-3"))[0].startswith("Soll ich Sie mit einer Kollegin")
