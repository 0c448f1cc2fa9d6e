"""The `bot` command line."""
