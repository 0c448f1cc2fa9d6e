"""Custom actions of the multi-process test project."""
