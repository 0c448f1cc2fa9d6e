"""Model archives: what `bot train` writes and `bot run` / `bot parse` load."""
