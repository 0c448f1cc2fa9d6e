"""Response selectors: pick the answer of a retrieval intent (faq/ask_hours) for a message."""
