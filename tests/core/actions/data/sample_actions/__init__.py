"""A tiny rasa_sdk actions package for the custom action tests (in-process and over HTTP)."""
