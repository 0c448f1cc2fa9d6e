"""How long one user message may be before NLU sees it, and how many are handled at once.

DIET's memory grows with the square of a message's token count (8,000 words took 3 GB, 1 MB
of text asked for 721 GiB), so a message is measured before any model runs: too many
characters are refused before tokenising, too many tokens right after the tokenizer. The
defaults hold any message a chat platform delivers (WhatsApp and Telegram cap at 4,096
characters, Messenger at 2,000) and keep a parse within tens of MB.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.shared.errors import BotError

__all__ = ["DEFAULT_MAX_CHARACTERS", "DEFAULT_MAX_CONCURRENT_TURNS", "DEFAULT_MAX_TOKENS",
           "DEFAULT_RESPONSE_TIMEOUT", "MessageLimits",
           "MessageTooLong"]

DEFAULT_MAX_CHARACTERS = 4096
DEFAULT_MAX_TOKENS = 512
# Customer turns a process runs at once (`bot run --max-concurrent-turns`). Enough to overlap the
# turns' database round trips (on a starved machine a turn waits seconds on them, and 8 at once let a
# process serve ~1 turn a second), few enough that a burst of hundreds waits in arrival order
# instead of every request on the event loop queueing behind hundreds of half-done turns.
DEFAULT_MAX_CONCURRENT_TURNS = 32
# Rasa's `rasa run --response-timeout` default. Sanic's own (60 s) equals the lock wait and the lock
# lifetime, so a message waiting for a dead process's lock, or in a burst's queue, got Sanic's bare 503
# although its turn might still run; now the lock wait (503 with Retry-After) or the turn answers first.
DEFAULT_RESPONSE_TIMEOUT = 3600.0


class MessageTooLong(BotError):
    """A user message over a configured limit; the HTTP layer answers 413 with the numbers."""

    def __init__(self, size: int, limit: int, unit: str) -> None:
        super().__init__(f"The message has {size} {unit}; at most {limit} are accepted.",
                         hint=f"send a shorter message (the server's limit is {limit} {unit})")
        self.size, self.limit, self.unit = size, limit, unit


@dataclass(frozen=True)
class MessageLimits:
    """Characters and tokens one message may have; `None` switches a limit off."""

    max_characters: int | None = DEFAULT_MAX_CHARACTERS
    max_tokens: int | None = DEFAULT_MAX_TOKENS

    def check_characters(self, text: str) -> None:
        """Raises MessageTooLong when `text` has more characters than allowed."""
        if self.max_characters is not None and len(text) > self.max_characters:
            raise MessageTooLong(len(text), self.max_characters, "characters")

    def check_tokens(self, count: int) -> None:
        """Raises MessageTooLong when a tokenizer found more tokens than allowed."""
        if self.max_tokens is not None and count > self.max_tokens:
            raise MessageTooLong(count, self.max_tokens, "tokens")
