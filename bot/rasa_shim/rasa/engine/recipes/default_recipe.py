"""Import shim for `rasa.engine.recipes.default_recipe`."""
from bot.nlu.graph_api import DefaultV1Recipe

__all__ = ["DefaultV1Recipe"]
