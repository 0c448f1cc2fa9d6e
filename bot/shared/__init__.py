"""Formats, events and errors shared by NLU, dialogue and the server."""
