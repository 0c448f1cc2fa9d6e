"""`bot train` shows DIET's and TED's epochs and loss: the trainers report each epoch to a listener."""

from __future__ import annotations

from bot.model.training import train
from bot.nn.progress import epoch_listener
from bot.shared.project import Project

FILES = {
    "config.yml": """
        language: en
        pipeline:
        - name: WhitespaceTokenizer
        - name: CountVectorsFeaturizer
        - name: DIETClassifier
          epochs: 3
        policies:
        - name: TEDPolicy
          epochs: 2
        """,
    "data/stories.yml": """
        version: "3.1"
        stories:
        - story: greet
          steps:
          - intent: greet
          - action: utter_greet
          - intent: goodbye
          - action: utter_goodbye
        """,
}


def test_diet_and_ted_report_every_epoch_with_its_loss(write_project):
    tmp_path = write_project(FILES)
    reports: list[tuple[str, int, int, float]] = []
    with epoch_listener(lambda *report: reports.append(report)):
        train(Project.discover(tmp_path), tmp_path / "models")
    assert [(name, epoch, epochs) for name, epoch, epochs, _ in reports] == [
        ("TEDPolicy", 1, 2), ("TEDPolicy", 2, 2),  # the dialogue trains first
        ("DIETClassifier", 1, 3), ("DIETClassifier", 2, 3), ("DIETClassifier", 3, 3)]
    assert all(loss >= 0.0 for *_, loss in reports)
