"""Import shim for `rasa.shared.nlu.constants`: the message keys, by Rasa's names."""
from bot.shared.nlu.constants import *  # noqa: F403
from bot.shared.nlu.constants import SENTENCE, SEQUENCE

FEATURE_TYPE_SENTENCE = SENTENCE
FEATURE_TYPE_SEQUENCE = SEQUENCE
