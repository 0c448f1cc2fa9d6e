"""Conversation sessions: when a quiet conversation starts afresh, and what it keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.shared.core.domain.constants import DEFAULT_CARRY_OVER_SLOTS, DEFAULT_SESSION_EXPIRATION_MINUTES


@dataclass(frozen=True)
class SessionConfig:
    """`session_config` of the domain; expiration in minutes, 0 disables sessions."""

    session_expiration_time: float = DEFAULT_SESSION_EXPIRATION_MINUTES
    carry_over_slots: bool = DEFAULT_CARRY_OVER_SLOTS

    @classmethod
    def default(cls) -> SessionConfig:
        return cls()

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SessionConfig:
        """Reads the domain's `session_config` mapping; missing keys take Rasa's defaults."""
        data = data or {}
        expiration = data.get("session_expiration_time", DEFAULT_SESSION_EXPIRATION_MINUTES)
        if expiration is None:
            expiration = DEFAULT_SESSION_EXPIRATION_MINUTES
        carry_over = data.get("carry_over_slots_to_new_session", DEFAULT_CARRY_OVER_SLOTS)
        if carry_over is None:
            carry_over = DEFAULT_CARRY_OVER_SLOTS
        return cls(expiration, bool(carry_over))

    def is_default(self) -> bool:
        return self == SessionConfig()

    def are_sessions_enabled(self) -> bool:
        """Sessions expire only with a positive expiration time (as in Rasa)."""
        return self.session_expiration_time > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "session_expiration_time": self.session_expiration_time,
            "carry_over_slots_to_new_session": self.carry_over_slots,
        }
