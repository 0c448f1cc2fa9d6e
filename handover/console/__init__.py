"""The agent console: a browser page served by `bot run` at `/console`, on top of the `/handover/` API."""

from handover.console.pages import CONSOLE_PAGES, console_blueprint, security_headers

__all__ = ["CONSOLE_PAGES", "console_blueprint", "security_headers"]
