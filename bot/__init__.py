"""A Rasa-compatible conversational bot framework with built-in human handover."""

__version__ = "0.1.0"
