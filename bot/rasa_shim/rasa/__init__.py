"""Rasa 3 module names for classes written against Rasa's API (import shims).

This folder is put on sys.path only when Rasa itself is not installed and a project names a class
of its own by dotted path (bot/shared/registry.py). The classes come from this framework:
bot.nlu.graph_api (GraphComponent and its model storage), bot.shared.nlu (Message, TrainingData)
and bot.channels.rasa_api (input and output channels). docs/compatibility.md lists what is covered.
"""
