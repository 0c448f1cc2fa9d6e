"""Channels: thin adapters between a platform's webhook and `UserMessage` / bot messages."""
