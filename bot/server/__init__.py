"""The HTTP server: Rasa-compatible API, REST channel, health and OpenAPI (`bot run`)."""

from bot.server.app import create_app

__all__ = ["create_app"]
