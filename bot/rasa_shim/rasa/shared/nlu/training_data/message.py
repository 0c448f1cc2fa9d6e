"""Import shim for `rasa.shared.nlu.training_data.message`."""
from bot.shared.nlu.message import Message

__all__ = ["Message"]
