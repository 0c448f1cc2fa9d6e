"""Actions the dialogue engine runs: built-in, responses, forms and custom (rasa_sdk) actions."""
