"""Import shim for `rasa.engine.storage.resource`."""
from bot.nlu.graph_api import Resource

__all__ = ["Resource"]
