"""Channels by the keys credentials.yml gives them (Rasa's names), resolved by `bot.shared.registry.lookup`.

A served channel's entry is the function that mounts it on the server; a key that is a dotted path
("addons.myio.MyIO", as Rasa projects name their own channels) is a class written against Rasa's
`InputChannel` API, imported from the project folder and mounted by `bot.server.rasa_channels`.
Rasa channels that are not served here are skipped with the reason (bot/shared/rasa_unavailable.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from bot.shared.errors import BotError
from bot.shared.registry import lookup

__all__ = ["CHANNELS", "RasaInputChannel", "channel_entry"]

# name -> "module:function" that mounts it: install(app, credentials, name)
CHANNELS: dict[str, str] = {
    "rest": "bot.server.channels:install_rest",
    "socketio": "bot.server.channels:install_socketio",
    "webchat": "bot.server.channels:install_webchat",
    "callback": "bot.server.channels:install_callback",
}


@runtime_checkable
class RasaInputChannel(Protocol):
    """What a custom channel class needs: Rasa's `InputChannel` methods that mount it."""

    def blueprint(self, on_new_message: Callable[..., Any]) -> Any: ...

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> Any: ...


def channel_entry(name: str, *, error: type[BotError], location: str | None = None) -> Any:
    """The mounting function of a served channel, or the class of a project's own channel."""
    return lookup(name, CHANNELS, RasaInputChannel, kind="channel", error=error,  # type: ignore[type-abstract]
                  location=location, set_name=False)
