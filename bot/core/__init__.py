"""Dialogue: tracker, policies, actions and the message processor (no transport code)."""
