"""Import shim for `rasa.shared.nlu.training_data.features` (same argument order as Rasa's)."""
from bot.shared.nlu.message import Features

__all__ = ["Features"]
