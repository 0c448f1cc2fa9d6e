"""Import shim for `rasa.engine.graph`."""
from bot.nlu.graph_api import ExecutionContext, GraphComponent

__all__ = ["ExecutionContext", "GraphComponent"]
