"""The example assistant's custom actions, written against the rasa_sdk API."""
