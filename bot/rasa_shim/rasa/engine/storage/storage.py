"""Import shim for `rasa.engine.storage.storage`."""
from bot.nlu.graph_api import ModelStorage

__all__ = ["ModelStorage"]
