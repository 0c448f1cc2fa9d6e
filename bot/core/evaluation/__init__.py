"""Evaluating a trained model on test stories (`bot test`)."""
