"""A custom NLU component written for Rasa 3 (GraphComponent API, `@DefaultV1Recipe.register`) loads
unchanged by its dotted path, trains, saves into its model storage, loads again and parses."""

from __future__ import annotations

import json
import sys

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.nlu.registry import component_class
from bot.shared.errors import InvalidConfig

# Written as Rasa 3.6's "custom graph components" guide writes them: nothing here knows this framework.
RASA_COMPONENT = '''
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Set, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True)
class ProductMatcher(GraphComponent):
    """Learns the product names annotated in the training data and finds them in new messages."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entity": "item", "lowercase": True}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 products: Optional[Set[Text]] = None) -> None:
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._products = products or set()

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> GraphComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> GraphComponent:
        try:
            with model_storage.read_from(resource) as directory:
                products = set(json.loads((directory / "products.json").read_text()))
        except ValueError:
            products = set()
        return cls(config, model_storage, resource, products)

    def _normal(self, text: Text) -> Text:
        return text.lower() if self._config["lowercase"] else text

    def train(self, training_data: TrainingData) -> Resource:
        for example in training_data.training_examples:
            for entity in example.get(ENTITIES, []):
                if entity["entity"] == self._config["entity"]:
                    self._products.add(self._normal(entity["value"]))
        with self._model_storage.write_to(self._resource) as directory:
            (directory / "products.json").write_text(json.dumps(sorted(self._products)))
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = self._normal(message.get(TEXT))
            found = list(message.get(ENTITIES, []))
            for product in sorted(self._products):
                start = text.find(product)
                if start >= 0:
                    found.append({"entity": self._config["entity"], "value": product, "start": start,
                                  "end": start + len(product), "extractor": "ProductMatcher"})
            message.set(ENTITIES, found, add_to_output=True)
        return messages
'''

CONFIG = """
language: en
pipeline:
- name: WhitespaceTokenizer
- name: shop_components.products.ProductMatcher
  entity: product
- name: KeywordIntentClassifier
policies:
- name: RulePolicy
"""

DOMAIN = """
version: "3.1"
intents: [greet, buy]
entities: [product]
responses:
  utter_greet: [{text: hi}]
  utter_buy: [{text: "noted"}]
"""

NLU = """
version: "3.1"
nlu:
- intent: greet
  examples: |
    - hi
    - hello
- intent: buy
  examples: |
    - I want to buy a [kettle](product)
    - do you sell a [Toaster](product)
    - buy
"""


@pytest.fixture
def project(write_project, monkeypatch):
    root = write_project({"config.yml": CONFIG, "domain.yml": DOMAIN, "data/nlu.yml": NLU,
                          "shop_components/__init__.py": "", "shop_components/products.py": RASA_COMPONENT,
                          "data/rules.yml": 'version: "3.1"\nrules:\n- rule: hi\n  steps:\n'
                                            '  - intent: greet\n  - action: utter_greet\n'})
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))  # what running `bot` in the project folder gives
    for name in [name for name in sys.modules if name.split(".")[0] == "shop_components"]:
        monkeypatch.delitem(sys.modules, name)  # another test's project folder had the same package
    return root


def test_a_rasa_graph_component_trains_saves_loads_and_parses(project):
    runner = CliRunner()
    trained = runner.invoke(app, ["train"])
    assert trained.exit_code == 0, trained.output
    # What it wrote to its model storage went into the archive and came back through its load().
    parsed = json.loads(runner.invoke(app, ["parse", "buy a toaster and a KETTLE"]).stdout)
    assert sorted((e["entity"], e["value"], e["extractor"]) for e in parsed["entities"]) == [
        ("product", "kettle", "ProductMatcher"), ("product", "toaster", "ProductMatcher")]
    parsed = json.loads(runner.invoke(app, ["parse", "do you sell a blender"]).stdout)
    assert parsed["entities"] == []


def test_the_adapter_keeps_rasas_default_config_under_the_options_of_config_yml(project):
    adapter = component_class("shop_components.products.ProductMatcher")
    component = adapter.create({"name": "shop_components.products.ProductMatcher", "entity": "product"}, language="en")
    assert component._options() == {"entity": "product", "lowercase": True}
    assert component_class("shop_components.products.ProductMatcher") is adapter


def test_a_class_that_is_neither_ours_nor_a_graph_component_is_refused(project):
    (project / "shop_components" / "plain.py").write_text("class Thing:\n    pass\n")
    with pytest.raises(InvalidConfig, match="'shop_components.plain.Thing' is not a component of this framework"):
        component_class("shop_components.plain.Thing")
