"""Import shim for `rasa.core.channels.channel`."""
from bot.channels.rasa_api import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage

__all__ = ["CollectingOutputChannel", "InputChannel", "OutputChannel", "UserMessage"]
