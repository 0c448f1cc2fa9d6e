"""Attribute and key names, spelled as Rasa spells them in its JSON."""

TEXT = "text"
INTENT = "intent"
ENTITIES = "entities"
RESPONSE = "response"
INTENT_RESPONSE_KEY = "intent_response_key"  # "faq/ask_hours" for retrieval intents
METADATA = "metadata"
INTENT_RANKING = "intent_ranking"
RESPONSE_SELECTOR = "response_selector"
LANGUAGE = "language"

ENTITY_TYPE = "entity"
ENTITY_VALUE = "value"
ENTITY_START = "start"
ENTITY_END = "end"
ENTITY_ROLE = "role"
ENTITY_GROUP = "group"
ENTITY_CONFIDENCE = "confidence_entity"
ENTITY_ROLE_CONFIDENCE = "confidence_role"
ENTITY_GROUP_CONFIDENCE = "confidence_group"
EXTRACTOR = "extractor"
PROCESSORS = "processors"

RETRIEVAL_SEPARATOR = "/"  # faq/ask_hours
NLU_FALLBACK_INTENT = "nlu_fallback"

SEQUENCE = "sequence"
SENTENCE = "sentence"
