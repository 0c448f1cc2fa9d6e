"""NLU: trains and parses text alone (no dialogue, stores or server imports)."""
