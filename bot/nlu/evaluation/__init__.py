"""NLU evaluation shared by `bot test nlu`, the HTTP API and bench/: parse a labelled test set, score it
as Rasa does, write Rasa's reports and plots, cross-validate, compare configs and models."""

from bot.nlu.evaluation.metrics import entity_span_scores, intent_scores, label_report, latency_scores
from bot.nlu.evaluation.reports import NLUReport, entity_extractors, summarise, write_reports
from bot.nlu.evaluation.results import ExampleResult, Parser, example_result, parse_examples

__all__ = [
    "ExampleResult",
    "NLUReport",
    "Parser",
    "entity_extractors",
    "entity_span_scores",
    "example_result",
    "intent_scores",
    "label_report",
    "latency_scores",
    "parse_examples",
    "summarise",
    "write_reports",
]
