"""Import shim: see rasa/__init__.py."""
