"""Entity extractors and the helpers they share (BILOU tagging)."""
