"""Featurizers: turn tokens into sparse or dense feature matrices."""
