"""credentials.yml (Rasa's format): which channels `bot run` serves and their options.

    rest:                       # Rasa's REST channel (always served)
    socketio:                   # Rasa's socket.io channel (rasa-webchat, Chatroom)
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
    webchat:                    # this project's web chat widget (docs/operator.md)
      allowed_origins: ["https://shop.example.com"]
      session_secret: ${WEBCHAT_SESSION_SECRET}
      customer_secret: ${SHOP_CUSTOMER_SECRET}

`${VAR}` and `${VAR:-default}` are read from the environment, as in endpoints.yml. Keys are looked up
in bot/channels/registry.py: channels Rasa has that are not served here yet (facebook, slack,
telegram, ...) are logged and skipped, so a Rasa project's file loads unchanged; a class path
(`addons.myio.MyIO:`) is the project's own channel written against Rasa's InputChannel API; a
misspelt name is an error with a suggestion.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.channels.registry import channel_entry
from bot.shared.errors import BotError, location
from bot.shared.rasa_unavailable import unavailable_reason
from bot.shared.yaml_io import interpolate_env, line_of, read_yaml_file, to_plain

__all__ = ["BusinessHours", "ChannelCredentials", "InvalidCredentials", "InvitationRule", "SocketIOSettings",
           "WebchatSettings", "load_credentials"]

logger = logging.getLogger(__name__)



class InvalidCredentials(BotError):
    """credentials.yml cannot be used as written."""


class BusinessHours(BaseModel):
    """When a rule may fire: weekdays and a time window in a time zone."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    timezone: str = "UTC"
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    start: str = Field(default="09:00", alias="from", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    end: str = Field(default="18:00", alias="to", pattern=r"^([01]\d|2[0-4]):[0-5]\d$")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' (write e.g. 'Europe/Berlin')") from None
        return value


class InvitationRule(BaseModel):
    """One proactive invitation: when the widget offers a chat by itself (evaluated in the browser)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    page: str = "*"  # glob on the page's path, e.g. "/checkout*"
    idle_seconds: float | None = Field(default=None, gt=0)
    signal: str | None = None  # a page signal the shop reports: "cart_full", "exit_intent", ...
    message: str | dict[str, str] = "Can I help you?"  # one text, or one per language code
    hours: BusinessHours | None = None  # only inside these hours; always when unset
    # With the human handover: the team whose queue and business hours (handover.yml) gate this rule
    # (unset: the default team). No invitation while that team is closed, or while `queue_limit` or
    # more customers wait in its queue (unset: no limit).
    team: str | None = Field(default=None, min_length=1, max_length=64)
    queue_limit: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _needs_a_trigger(self) -> InvitationRule:
        if self.idle_seconds is None and self.signal is None:
            raise ValueError(f"invitation '{self.name}' needs 'idle_seconds' or 'signal'")
        return self


class WebchatSettings(BaseModel):
    """The `webchat:` section."""

    model_config = ConfigDict(extra="forbid")

    # Pages on other origins that may embed the widget (CORS and WebSocket Origin); "*" for any.
    allowed_origins: list[str] = Field(default_factory=list)
    session_secret: str | None = None  # signs session tokens; random per process when unset
    customer_secret: str | None = None  # shared with the shop's backend; unset: no customer ids
    customer_jwt_method: Literal["HS256", "HS384", "HS512"] = "HS256"  # customer ids sent as JWTs
    session_ttl_days: float = Field(default=30, gt=0)
    max_message_chars: int = Field(default=2000, ge=1, le=100_000)
    rate_limit_per_minute: int = Field(default=30, ge=1)
    invitations: list[InvitationRule] = Field(default_factory=list)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value if value is not None else []


class SocketIOSettings(BaseModel):
    """The `socketio:` section: Rasa's keys, plus the origins that may connect."""

    model_config = ConfigDict(extra="ignore")

    user_message_evt: str = "user_uttered"
    bot_message_evt: str = "bot_uttered"
    namespace: str | None = None
    session_persistence: bool = False
    socketio_path: str = "/socket.io"
    metadata_key: str = "customData"
    cors_allowed_origins: list[str] | Literal["*"] = "*"
    jwt_key: str | None = None
    jwt_method: str = "HS256"


@dataclass
class ChannelCredentials:
    """The channels of one credentials file (plain, interpolated sections) and their settings."""

    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str | None = None
    webchat: WebchatSettings | None = None
    socketio: SocketIOSettings | None = None
    custom: dict[str, type] = field(default_factory=dict)  # class path -> a project's own (Rasa) channel

    def enabled(self, name: str) -> bool:
        return name in self.sections


def load_credentials(path: str | Path | None, *, required: bool = False) -> ChannelCredentials:
    """Reads credentials.yml; a missing file gives no extra channel (an error when `required`)."""
    if path is None or not Path(path).exists():
        if required:
            raise InvalidCredentials(f"credentials file not found: {path}",
                                     hint="pass --credentials with an existing file, or leave it out")
        return ChannelCredentials(source=str(path) if path else None)
    content = read_yaml_file(path)
    return parse_credentials(content, str(path))


def parse_credentials(content: Any, source: str | None) -> ChannelCredentials:
    """The `ChannelCredentials` of a parsed YAML document (ruamel nodes keep line numbers)."""
    credentials = ChannelCredentials(source=source)
    if content is None:
        return credentials
    if not isinstance(content, dict):
        raise InvalidCredentials("credentials.yml must map channel names to their options",
                                 location=location(source, line_of(content)),
                                 hint="write e.g. 'rest:' and 'socketio:' at the start of lines")
    for key, section in content.items():
        name, where = str(key), location(source, line_of(content, key))
        if section is not None and not isinstance(section, dict):
            raise InvalidCredentials(f"channel '{name}' must have options below it or none",
                                     location=where, hint=f"write '{name}:' alone or with 'key: value' lines")
        reason = unavailable_reason(name, "channel")
        if reason is not None:  # a Rasa channel this version does not serve: the file still loads
            logger.warning("%s: channel '%s' is skipped: %s; use %s instead", where, name, *reason)
            continue
        entry = channel_entry(name, error=InvalidCredentials, location=where)
        values = to_plain(interpolate_env(section or {}, source, line_of(content, key)))
        credentials.sections[name] = values
        if isinstance(entry, type):
            credentials.custom[name] = entry
        if name == "webchat":
            credentials.webchat = _validated(WebchatSettings, values, section, name, source, where)
        elif name == "socketio":
            credentials.socketio = _validated(SocketIOSettings, values, section, name, source, where)
    return credentials


def _validated(model: type[BaseModel], values: dict[str, Any], node: Any, name: str,
               source: str | None, where: str | None) -> Any:
    try:
        return model.model_validate({k: v for k, v in values.items() if v is not None and v != ""})
    except ValidationError as error:
        problem = error.errors()[0]
        path = [str(part) for part in problem["loc"]]
        line = line_of(node, problem["loc"][0]) if problem["loc"] and isinstance(node, dict) else None
        field_name = ".".join([name, *path]) if path else name
        message = problem["msg"].removeprefix("Value error, ")
        hint = ("remove it or check its spelling" if problem["type"] == "extra_forbidden"
                else "see the channel's options in docs/operator.md")
        raise InvalidCredentials(f"'{field_name}': {message}",
                                 location=location(source, line) if line else where, hint=hint) from None
