"""Rasa components and policies that do not exist here: why, and what to use instead.

A Rasa project naming one of them gets this explanation rather than a "did you mean" guess at a
name that merely looks alike.
"""

from __future__ import annotations

from bot.shared.errors import BotError, InvalidConfig

_MITIE = ("MITIE is an unmaintained C++ library without wheels for this Python, and it needs a "
          "separately downloaded total_word_feature_extractor.dat")
_MITIE_INSTEAD = "WhitespaceTokenizer, CountVectorsFeaturizer and DIETClassifier"
_CONVERT = ("ConveRT's model is only served from PolyAI's URL, which is offline, and needs "
            "TensorFlow Text")

# name -> (why it is not here, what to use instead)
UNAVAILABLE: dict[str, tuple[str, str]] = {
    "ConveRTFeaturizer": (_CONVERT, "LanguageModelFeaturizer with a local model (model_weights: a folder), "
                                    "or CountVectorsFeaturizer"),
    "ConveRTTokenizer": (_CONVERT + "; Rasa 3 removed it too", "WhitespaceTokenizer"),
    "HFTransformersNLP": ("Rasa 3 removed it; its job moved into LanguageModelFeaturizer",
                          "WhitespaceTokenizer followed by LanguageModelFeaturizer"),
    "LanguageModelTokenizer": ("Rasa 3 removed it; its job moved into LanguageModelFeaturizer",
                               "WhitespaceTokenizer followed by LanguageModelFeaturizer"),
    "JiebaTokenizer": ("Chinese word segmentation with jieba is not built in",
                       "SpacyTokenizer with a Chinese spaCy pipeline (SpacyNLP with model: zh_core_web_sm)"),
    "MitieNLP": (_MITIE, _MITIE_INSTEAD + " (or SpacyNLP and SpacyFeaturizer for pre-trained word vectors)"),
    "MitieTokenizer": (_MITIE, "WhitespaceTokenizer"),
    "MitieFeaturizer": (_MITIE, "CountVectorsFeaturizer, or SpacyFeaturizer for pre-trained word vectors"),
    "MitieEntityExtractor": (_MITIE, "DIETClassifier or CRFEntityExtractor"),
    "MitieIntentClassifier": (_MITIE, "DIETClassifier or SklearnIntentClassifier"),
    "EmbeddingIntentClassifier": ("Rasa 2 replaced it by DIETClassifier", "DIETClassifier"),
    "FormPolicy": ("Rasa 3 removed it; forms run in the RulePolicy", "RulePolicy (and rules that activate the form)"),
    "MappingPolicy": ("Rasa 3 removed it; intent-to-action mappings are rules",
                      "RulePolicy with a rule per mapped intent"),
    "FallbackPolicy": ("Rasa 3 removed it; the fallback is part of the RulePolicy",
                       "RulePolicy's core_fallback_threshold and FallbackClassifier"),
    "TwoStageFallbackPolicy": ("Rasa 3 removed it; the two-stage fallback is an action",
                               "FallbackClassifier, RulePolicy and a rule for nlu_fallback that runs "
                               "action_two_stage_fallback"),
    "SklearnPolicy": ("Rasa 3 removed it", "TEDPolicy"),
}


_SQL_STORE = "`type: sql` with `dialect: postgresql` (or no tracker_store: an SQLite file)"
_CHANNEL = "this version does not serve it yet"

# Stores and channels of Rasa that are not here, per kind: name -> (why, what instead).
UNAVAILABLE_BY_KIND: dict[str, dict[str, tuple[str, str]]] = {
    "tracker store": {
        "redis": ("conversations are kept in SQL, where the handover's records are", _SQL_STORE),
        "mongod": ("MongoDB is not supported", _SQL_STORE),
        "mongo": ("MongoDB is not supported", _SQL_STORE),
        "dynamo": ("DynamoDB is not supported", _SQL_STORE),
    },
    "channel": {name: (_CHANNEL, "the rest, socketio, webchat or callback channel")
                for name in ("facebook", "slack", "telegram", "twilio", "twilio_voice", "mattermost", "rocketchat",
                             "botframework", "webexteams", "hangouts", "audiocodes", "vonage", "cmdline")},
}


def unavailable_reason(name: str, kind: str) -> tuple[str, str] | None:
    """(why, what instead) when `name` is a Rasa class of `kind` that this framework does not have."""
    if kind in ("component", "policy"):
        return UNAVAILABLE.get(name.rsplit(".", 1)[-1])
    return UNAVAILABLE_BY_KIND.get(kind, {}).get(name)


def check_available(name: str, where: str, *, kind: str = "component", error: type[BotError] = InvalidConfig,
                    location: str | None = None) -> None:
    """Raises the explanation when `name` is a Rasa class of `kind` that is not here."""
    reason = unavailable_reason(name, kind)
    if reason is not None:
        because, instead = reason
        noun, state = ("component", "available") if kind in ("component", "policy") else (kind, "supported")
        raise error(f"{where}'{name}' is a Rasa {noun} that is not {state} here, because {because}",
                    location=location, hint=f"use {instead} instead")
