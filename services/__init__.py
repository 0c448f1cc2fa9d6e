"""Local stand-in services for the example assistant (run with python -m services.<name>)."""
