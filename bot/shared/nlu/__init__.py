"""NLU training data: messages, tokens, features and the TrainingData container."""

from bot.shared.nlu.message import Features, Message, Token
from bot.shared.nlu.training_data import TrainingData

__all__ = ["Features", "Message", "Token", "TrainingData"]
