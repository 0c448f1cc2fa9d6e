"""Dialogue-side file formats shared by training and serving: stories, rules (and domain, events)."""
