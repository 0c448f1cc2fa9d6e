"""Names Rasa reserves in a domain: default intents, default actions, default slots, keys."""

from __future__ import annotations

# Top-level keys of a domain file; a YAML file with any of them is a domain file.
KEY_VERSION = "version"
KEY_INTENTS = "intents"
KEY_ENTITIES = "entities"
KEY_SLOTS = "slots"
KEY_RESPONSES = "responses"
KEY_FORMS = "forms"
KEY_ACTIONS = "actions"
KEY_SESSION_CONFIG = "session_config"
KEY_E2E_ACTIONS = "e2e_actions"
KEY_CONFIG = "config"
DOMAIN_KEYS = (
    KEY_INTENTS, KEY_ENTITIES, KEY_SLOTS, KEY_RESPONSES, KEY_FORMS,
    KEY_ACTIONS, KEY_SESSION_CONFIG, KEY_E2E_ACTIONS,
)
ALL_TOP_KEYS = (KEY_VERSION, KEY_CONFIG, *DOMAIN_KEYS)
LATEST_FORMAT_VERSION = "3.1"

USE_ENTITIES_KEY = "use_entities"
IGNORE_ENTITIES_KEY = "ignore_entities"
USED_ENTITIES_KEY = "used_entities"
IS_RETRIEVAL_INTENT_KEY = "is_retrieval_intent"
TRIGGERS_KEY = "triggers"
ENTITY_ROLES_KEY = "roles"
ENTITY_GROUPS_KEY = "groups"
ENTITY_FEATURIZATION_KEY = "influence_conversation"
ENTITY_LABEL_SEPARATOR = "#"

# Intents every Rasa domain has, whether or not the designer lists them.
INTENT_RESTART = "restart"
INTENT_BACK = "back"
INTENT_OUT_OF_SCOPE = "out_of_scope"
INTENT_SESSION_START = "session_start"
INTENT_NLU_FALLBACK = "nlu_fallback"
DEFAULT_INTENTS = [INTENT_RESTART, INTENT_BACK, INTENT_OUT_OF_SCOPE, INTENT_SESSION_START, INTENT_NLU_FALLBACK]

ACTION_LISTEN = "action_listen"
ACTION_RESTART = "action_restart"
ACTION_SESSION_START = "action_session_start"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
ACTION_DEACTIVATE_LOOP = "action_deactivate_loop"
ACTION_REVERT_FALLBACK_EVENTS = "action_revert_fallback_events"
ACTION_DEFAULT_ASK_AFFIRMATION = "action_default_ask_affirmation"
ACTION_DEFAULT_ASK_REPHRASE = "action_default_ask_rephrase"
ACTION_TWO_STAGE_FALLBACK = "action_two_stage_fallback"
ACTION_UNLIKELY_INTENT = "action_unlikely_intent"
ACTION_BACK = "action_back"
ACTION_SEND_TEXT = "action_send_text"
RULE_SNIPPET_ACTION = "..."  # "any actions may happen here" marker inside rules
ACTION_EXTRACT_SLOTS = "action_extract_slots"
ACTION_HANDOVER = "action_handover"  # ours: escalation to a human agent
ACTION_QUERY_KNOWLEDGE_BASE = "action_query_knowledge_base"

# Order matters: policies use the index as the output dimension, and code relies on
# action_listen being at index 0 (as in Rasa).
DEFAULT_ACTION_NAMES = [
    ACTION_LISTEN, ACTION_RESTART, ACTION_SESSION_START, ACTION_DEFAULT_FALLBACK,
    ACTION_DEACTIVATE_LOOP, ACTION_REVERT_FALLBACK_EVENTS, ACTION_DEFAULT_ASK_AFFIRMATION,
    ACTION_DEFAULT_ASK_REPHRASE, ACTION_TWO_STAGE_FALLBACK, ACTION_UNLIKELY_INTENT,
    ACTION_BACK, ACTION_SEND_TEXT, RULE_SNIPPET_ACTION, ACTION_EXTRACT_SLOTS, ACTION_HANDOVER,
]

REQUESTED_SLOT = "requested_slot"
SESSION_START_METADATA_SLOT = "session_started_metadata"
SLOT_LISTED_ITEMS = "knowledge_base_listed_objects"
SLOT_LAST_OBJECT = "knowledge_base_last_object"
SLOT_LAST_OBJECT_TYPE = "knowledge_base_last_object_type"
DEFAULT_CATEGORICAL_SLOT_VALUE = "__other__"

UTTER_PREFIX = "utter_"
UTTER_ASK_PREFIX = "utter_ask_"
RETRIEVAL_SEPARATOR = "/"

DEFAULT_SESSION_EXPIRATION_MINUTES = 60
DEFAULT_CARRY_OVER_SLOTS = True

DOCS_DOMAIN = "https://rasa.com/docs/rasa/domain"
