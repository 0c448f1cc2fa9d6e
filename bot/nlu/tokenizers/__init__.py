"""Tokenizers: split a message's text into tokens with character spans."""
