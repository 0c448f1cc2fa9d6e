import pytest

from bot.nlu.pipeline import NLUPipeline
from bot.nlu.registry import COMPONENTS, component_class
from bot.shared.errors import InvalidConfig


def test_unknown_component_names_the_closest_match():
    with pytest.raises(InvalidConfig) as error:
        component_class("DIETClasifier", index=3)
    message = str(error.value)
    assert "pipeline step 4" in message
    assert "did you mean 'DIETClassifier'" in message
    assert "WhitespaceTokenizer" in message  # the known names are listed


def test_rasa_module_paths_resolve_to_the_short_name():
    cls = component_class("rasa.nlu.tokenizers.whitespace_tokenizer.WhitespaceTokenizer")
    assert cls.name == "WhitespaceTokenizer"


def test_every_registered_component_imports():
    for name in COMPONENTS:
        assert component_class(name).name == name


def test_pipeline_step_without_name_is_rejected():
    with pytest.raises(InvalidConfig, match="step 2 has no 'name'"):
        NLUPipeline.from_config({"language": "en", "pipeline": [{"name": "WhitespaceTokenizer"}, {"epochs": 3}]})


def test_invalid_option_value_names_component_and_option():
    with pytest.raises(InvalidConfig) as error:
        NLUPipeline.from_config({"pipeline": [{"name": "FallbackClassifier", "threshold": "high"}]})
    assert "FallbackClassifier" in str(error.value) and "threshold" in str(error.value)
