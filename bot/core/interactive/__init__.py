"""Interactive learning: chat with the model, confirm or correct each intent, entity and action,
and keep the corrected conversation as a story and its messages as NLU examples."""

from bot.core.interactive.export import save_session
from bot.core.interactive.session import InteractiveSession, Prompter

__all__ = ["InteractiveSession", "Prompter", "save_session"]
