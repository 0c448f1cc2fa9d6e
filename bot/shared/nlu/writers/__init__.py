"""Writers for NLU training data: Rasa 3.x YAML, Rasa's JSON and Rasa 1.x/2.x Markdown."""

from bot.shared.nlu.writers.nlu_yaml import to_nlu_yaml
from bot.shared.nlu.writers.other_formats import to_rasa_json, to_rasa_markdown

__all__ = ["to_nlu_yaml", "to_rasa_json", "to_rasa_markdown"]
