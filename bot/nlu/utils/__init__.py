"""Shared language resources for the pipeline (e.g. the spaCy model loader)."""
