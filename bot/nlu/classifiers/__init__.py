"""Intent classifiers."""
