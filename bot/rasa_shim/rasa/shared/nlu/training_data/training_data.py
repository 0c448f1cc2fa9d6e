"""Import shim for `rasa.shared.nlu.training_data.training_data`."""
from bot.shared.nlu.training_data import TrainingData

__all__ = ["TrainingData"]
