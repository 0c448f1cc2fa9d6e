"""Custom actions of the tiny test project."""
