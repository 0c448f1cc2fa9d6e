"""The one place where NLU components are registered, by the names users write in config.yml.

Entries are "module:Class" strings imported on first use, so `bot parse` imports only
the components its pipeline uses; `bot.shared.registry.lookup` resolves names (also dotted paths
to a project's own components, and Rasa 3 GraphComponents through bot.nlu.graph_adapter).
"""

from __future__ import annotations

from bot.nlu.component import Component
from bot.shared.registry import lookup

COMPONENTS: dict[str, str] = {
    # tokenizers
    "WhitespaceTokenizer": "bot.nlu.tokenizers.whitespace:WhitespaceTokenizer",
    "SpacyTokenizer": "bot.nlu.tokenizers.spacy_tokenizer:SpacyTokenizer",
    # language models
    "SpacyNLP": "bot.nlu.utils.spacy_nlp:SpacyNLP",
    # featurizers
    "RegexFeaturizer": "bot.nlu.featurizers.regex_featurizer:RegexFeaturizer",
    "LexicalSyntacticFeaturizer": "bot.nlu.featurizers.lexical_syntactic:LexicalSyntacticFeaturizer",
    "CountVectorsFeaturizer": "bot.nlu.featurizers.count_vectors:CountVectorsFeaturizer",
    "LanguageModelFeaturizer": "bot.nlu.featurizers.language_model:LanguageModelFeaturizer",
    "SpacyFeaturizer": "bot.nlu.featurizers.spacy_featurizer:SpacyFeaturizer",
    # classifiers
    "DIETClassifier": "bot.nlu.classifiers.diet:DIETClassifier",
    "KeywordIntentClassifier": "bot.nlu.classifiers.keyword:KeywordIntentClassifier",
    "LogisticRegressionClassifier": "bot.nlu.classifiers.logistic_regression:LogisticRegressionClassifier",
    "SklearnIntentClassifier": "bot.nlu.classifiers.sklearn_intent:SklearnIntentClassifier",
    "FallbackClassifier": "bot.nlu.classifiers.fallback:FallbackClassifier",
    "LanguageDetector": "bot.nlu.classifiers.language_detector:LanguageDetector",
    # extractors
    "RegexEntityExtractor": "bot.nlu.extractors.regex_entity:RegexEntityExtractor",
    "EntitySynonymMapper": "bot.nlu.extractors.synonym_mapper:EntitySynonymMapper",
    "DucklingEntityExtractor": "bot.nlu.extractors.duckling:DucklingEntityExtractor",
    "SpacyEntityExtractor": "bot.nlu.extractors.spacy_entity:SpacyEntityExtractor",
    "CRFEntityExtractor": "bot.nlu.extractors.crf_entity:CRFEntityExtractor",
    # selectors
    "ResponseSelector": "bot.nlu.selectors.response_selector:ResponseSelector",
}


def component_class(name: str, *, index: int | None = None) -> type[Component]:
    """The class registered under `name` (or a project's own, by dotted path); an unknown name lists
    the known ones and the closest."""
    where = f"pipeline step {index + 1}: " if index is not None else ""
    return lookup(name, COMPONENTS, Component, kind="component", where=where, adapt=_rasa_graph_component)


def _rasa_graph_component(cls: type, name: str) -> type[Component] | None:
    """A component written against Rasa 3's GraphComponent API, run through the adapter."""
    from bot.nlu.graph_adapter import adapt_graph_component, is_graph_component

    return adapt_graph_component(cls, name) if is_graph_component(cls) else None
