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


@pytest.mark.parametrize(("name", "instead"), [
    ("ConveRTFeaturizer", "LanguageModelFeaturizer with a local model"),
    ("JiebaTokenizer", "SpacyTokenizer"),
    ("MitieNLP", "WhitespaceTokenizer, CountVectorsFeaturizer and DIETClassifier"),
    ("rasa.nlu.utils.mitie_utils.MitieNLP", "WhitespaceTokenizer"),
])
def test_rasa_components_that_are_not_here_say_why_and_what_instead(name, instead):
    with pytest.raises(InvalidConfig) as error:
        component_class(name, index=0)
    message = str(error.value)
    assert f"'{name}' is a Rasa component that is not available here, because" in message
    assert f"Fix: use {instead}" in message and "did you mean" not in message


def test_removed_rasa_policies_say_what_replaced_them():
    from bot.core.policies.registry import policy_class

    with pytest.raises(InvalidConfig, match="not available here, because Rasa 3 removed it") as error:
        policy_class("MappingPolicy")
    assert "use RulePolicy" in str(error.value)


def test_config_errors_name_the_config_line(tmp_path):
    from bot.core.policies.ensemble import PolicyEnsemble
    from bot.shared.config import load_config

    path = tmp_path / "config.yml"
    path.write_text("language: en\npipeline:\n- name: WhitespaceTokenizer\n- name: DIETClassifier\n"
                    "  epochs: many\npolicies:\n- name: RulePolicy\n- name: TEDPolicie\n")
    config = load_config(path)
    with pytest.raises(InvalidConfig) as error:
        NLUPipeline.from_config(config)
    assert error.value.location == f"{path}:4"
    assert str(error.value).startswith(f"{path}:4: DIETClassifier: option 'epochs'")
    with pytest.raises(InvalidConfig) as error:
        PolicyEnsemble.from_config(config.policies, config.policy_locations)
    assert str(error.value).startswith(f"{path}:8: unknown policy 'TEDPolicie'")
