"""The Domain: everything the bot knows about (intents, entities, slots, responses, forms,
actions, sessions), loaded from YAML and shaped for the dialogue engine."""

from __future__ import annotations

import copy
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from bot.shared.core.domain import _parsing
from bot.shared.core.domain.constants import (
    ACTION_QUERY_KNOWLEDGE_BASE,
    DEFAULT_ACTION_NAMES,
    DEFAULT_INTENTS,
    KEY_ACTIONS,
    KEY_CONFIG,
    KEY_E2E_ACTIONS,
    KEY_ENTITIES,
    KEY_FORMS,
    KEY_INTENTS,
    KEY_RESPONSES,
    KEY_SESSION_CONFIG,
    KEY_SLOTS,
    KEY_VERSION,
    LATEST_FORMAT_VERSION,
    REQUESTED_SLOT,
    RETRIEVAL_SEPARATOR,
    SESSION_START_METADATA_SLOT,
    SLOT_LAST_OBJECT,
    SLOT_LAST_OBJECT_TYPE,
    SLOT_LISTED_ITEMS,
    UTTER_PREFIX,
)
from bot.shared.core.domain.domain_reader import (
    DomainData,
    Locations,
    merge_domain_data,
    read_domain_path,
    warn,
)
from bot.shared.core.domain.forms import Form, parse_form
from bot.shared.core.domain.responses import choose_variation, validate_variations
from bot.shared.core.domain.session_config import SessionConfig
from bot.shared.core.domain.slot_mappings import CUSTOM
from bot.shared.core.domain.slots import AnySlot, CategoricalSlot, ListSlot, Slot, TextSlot
from bot.shared.errors import InvalidDomain


class Domain:
    """The bot's universe; build it with `load_domain`, `Domain.from_dict` or `Domain.empty()`."""

    def __init__(self, data: dict[str, Any] | None = None, locations: Locations | None = None) -> None:
        data = copy.deepcopy(data or {})
        self.locations: Locations = dict(locations or {})
        self.entity_info = _parsing.parse_entities(data.get(KEY_ENTITIES) or [], self.locations)
        self.entities: list[str] = list(self.entity_info.names)
        self.roles = self.entity_info.roles
        self.groups = self.entity_info.groups
        self.intent_properties, self._declared_intents = _parsing.parse_intents(
            data.get(KEY_INTENTS) or [], self.entity_info, self.locations)
        self.responses: dict[str, list[dict[str, Any]]] = {
            name: validate_variations(name, variations, self.locations.get((KEY_RESPONSES, name)))
            for name, variations in (data.get(KEY_RESPONSES) or {}).items()}
        self._mark_retrieval_intents()
        self.overridden_default_intents = sorted(set(self._declared_intents) & set(DEFAULT_INTENTS))
        self.intents: list[str] = sorted(self.intent_properties)

        self._user_slots = _parsing.parse_slots(data.get(KEY_SLOTS) or {}, self.entity_info, self.locations)
        self.forms: dict[str, Form] = {
            name: parse_form(name, raw, self.locations.get((KEY_FORMS, name)))
            for name, raw in (data.get(KEY_FORMS) or {}).items()}
        self.form_names = list(self.forms)

        self._declared_actions = list(data.get(KEY_ACTIONS) or [])
        self._custom_actions, self.actions_which_explicitly_need_domain = _parsing.parse_actions(
            self._declared_actions)
        self.action_texts: list[str] = [str(t) for t in data.get(KEY_E2E_ACTIONS) or []]
        self.user_actions = self._combine_with_responses(self._custom_actions)
        self.action_names_or_texts = self._all_action_names()

        self.slots: list[Slot] = list(self._user_slots) + self._default_slots()
        for slot in self.slots:
            if isinstance(slot, CategoricalSlot):
                slot.add_default_value()
        config = data.get(KEY_CONFIG) or {}
        self.store_entities_as_slots = bool(config.get("store_entities_as_slots", True))
        self.session_config = SessionConfig.from_dict(data.get(KEY_SESSION_CONFIG))
        self._session_config_given = data.get(KEY_SESSION_CONFIG) is not None
        self._check_consistency()

    # -- construction ---------------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], locations: Locations | None = None) -> Domain:
        """Builds a domain from Rasa's domain dict (as in YAML); the input is not modified."""
        return cls(data, locations)

    @classmethod
    def empty(cls) -> Domain:
        return cls({})

    @classmethod
    def load(cls, path: str | Path) -> Domain:
        return load_domain(path)

    def is_empty(self) -> bool:
        return self.as_dict() == Domain.empty().as_dict()

    def merge(self, other: Domain | None, override: bool = False) -> Domain:
        """Combines two domains; on clashes `self` wins, or `other` when `override` is true."""
        if other is None or other.is_empty():
            return self
        if self.is_empty():
            return other
        first, second = (other, self) if override else (self, other)
        merged = merge_domain_data(first._as_data(), second._as_data(), warn_duplicates=False)
        return Domain(merged.data, merged.locations)

    def _as_data(self) -> DomainData:
        data = self.as_dict()
        if not self._session_config_given:
            data.pop(KEY_SESSION_CONFIG)  # a default config must not override an explicit one
        return DomainData(data, self.locations, [])

    # -- derived names ----------------------------------------------------------------------------
    def _mark_retrieval_intents(self) -> None:
        for response_name in self.responses:
            if RETRIEVAL_SEPARATOR in response_name and response_name.startswith(UTTER_PREFIX):
                intent = response_name[len(UTTER_PREFIX):].split(RETRIEVAL_SEPARATOR, 1)[0]
                if intent in self.intent_properties:
                    self.intent_properties[intent]["is_retrieval_intent"] = True

    def _combine_with_responses(self, actions: list[str]) -> list[str]:
        """Custom actions, then every response name not already listed (retrieval responses
        `utter_faq/ask_x` count once, as their action `utter_faq`)."""
        combined = list(actions)
        for name in sorted(self.responses):
            action = name.split(RETRIEVAL_SEPARATOR, 1)[0]
            if action not in combined:
                combined.append(action)
        return combined

    def _all_action_names(self) -> list[str]:
        user = [a for a in self.user_actions if a not in DEFAULT_ACTION_NAMES]
        forms = [f for f in self.form_names if f not in self.user_actions]
        return DEFAULT_ACTION_NAMES + user + forms + self.action_texts

    def _default_slots(self) -> list[Slot]:
        names = {slot.name for slot in self._user_slots}
        extra: list[Slot] = []
        if self.forms and REQUESTED_SLOT not in names:
            extra.append(TextSlot(REQUESTED_SLOT, influence_conversation=False))
        if ACTION_QUERY_KNOWLEDGE_BASE in self.user_actions:
            for slot in (ListSlot(SLOT_LISTED_ITEMS, influence_conversation=False),
                         AnySlot(SLOT_LAST_OBJECT), TextSlot(SLOT_LAST_OBJECT_TYPE, influence_conversation=False)):
                if slot.name not in names:
                    extra.append(slot)
        if SESSION_START_METADATA_SLOT not in names:
            extra.append(AnySlot(SESSION_START_METADATA_SLOT))
        return extra

    def _check_consistency(self) -> None:
        slot_names = {slot.name for slot in self.slots}
        for form in self.forms.values():
            for slot in form.required_slots:
                if slot not in slot_names:
                    raise InvalidDomain(
                        f"form '{form.name}' requires slot '{slot}', which is not defined under 'slots:'",
                        location=form.location,
                        hint=f"add the slot, e.g.\n  slots:\n    {slot}:\n      type: text\n      mappings:\n"
                             f"        - type: from_text\n          conditions:\n"
                             f"            - active_loop: {form.name}\n              requested_slot: {slot}")
        known_actions = set(self.action_names_or_texts)
        for slot in self._user_slots:
            for mapping in slot.mappings:
                if mapping.type == CUSTOM and mapping.action and mapping.action not in known_actions:
                    warn(f"slot '{slot.name}' has a custom mapping with action '{mapping.action}', which is not "
                         f"listed under 'actions:'", slot.location)

    # -- queries used by the dialogue engine -----------------------------------------------------
    def slot(self, name: str) -> Slot | None:
        return next((slot for slot in self.slots if slot.name == name), None)

    def index_for_action(self, name: str) -> int | None:
        try:
            return self.action_names_or_texts.index(name)
        except ValueError:
            return None

    @property
    def user_actions_and_forms(self) -> list[str]:
        return self.user_actions + self.form_names

    @property
    def retrieval_intents(self) -> list[str]:
        return [name for name, props in self.intent_properties.items() if props.get("is_retrieval_intent")]

    @property
    def retrieval_intent_responses(self) -> dict[str, list[dict[str, Any]]]:
        return {k: v for k, v in self.responses.items() if RETRIEVAL_SEPARATOR in k}

    @property
    def entity_states(self) -> list[str]:
        """Entity labels the dialogue state can contain (`entity` and `entity#role`/`entity#group`)."""
        return (list(self.entities) + _parsing.concatenate_labels(self.roles)
                + _parsing.concatenate_labels(self.groups))

    def used_entities(self, intent: str) -> list[str]:
        """Entity labels that count for the dialogue after this intent (use/ignore_entities)."""
        return list(self.intent_properties.get(intent, {}).get("used_entities", []))

    def required_slots_for_form(self, form_name: str) -> list[str]:
        form = self.forms.get(form_name)
        return list(form.required_slots) if form else []

    def response_for(self, name: str, slots: dict[str, Any] | None = None, channel: str | None = None,
                     rng: random.Random | None = None) -> dict[str, Any] | None:
        """One filled variation of response `name` for these slot values, or None if there is none.

        Conditional variations whose conditions hold come first, then variations for the
        channel, then the plain ones; ties are broken at random (`rng` makes it repeatable).
        """
        variations = self.responses.get(name)
        if not variations:
            return None
        values: dict[str, Any] = {slot.name: slot.initial_value for slot in self.slots}
        values.update(slots or {})
        return choose_variation(variations, values, channel, rng)

    # -- serialisation -------------------------------------------------------------------------
    def as_dict(self) -> dict[str, Any]:
        """Rasa's domain JSON (what rasa_sdk receives under "domain" in an action request)."""
        intents = [name if props is None else {name: copy.deepcopy(props)}
                   for name, props in sorted(self._declared_intents.items())]
        data: dict[str, Any] = {
            KEY_VERSION: LATEST_FORMAT_VERSION,
            KEY_INTENTS: intents,
            KEY_ENTITIES: self._entities_as_list(),
            KEY_SLOTS: {slot.name: slot.persistence_info() for slot in self._user_slots},
            KEY_RESPONSES: copy.deepcopy(self.responses),
            KEY_ACTIONS: copy.deepcopy(self._declared_actions),
            KEY_FORMS: {name: form.as_dict() for name, form in self.forms.items()},
            KEY_E2E_ACTIONS: list(self.action_texts),
            KEY_SESSION_CONFIG: self.session_config.as_dict(),
            KEY_CONFIG: {"store_entities_as_slots": self.store_entities_as_slots},
        }
        return data

    def _entities_as_list(self) -> list[Any]:
        result: list[Any] = []
        for name in self.entities:
            properties: dict[str, Any] = {}
            if name in self.roles:
                properties["roles"] = sorted(self.roles[name])
            if name in self.groups:
                properties["groups"] = sorted(self.groups[name])
            if name in self.entity_info.not_featurized:
                properties["influence_conversation"] = False
            result.append({name: properties} if properties else name)
        return result

    def fingerprint(self) -> str:
        """A hash of the domain that is stable across runs (for deciding whether to retrain)."""
        data = self.as_dict()
        data[KEY_ACTIONS] = self.action_names_or_texts
        text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Domain) and self.fingerprint() == other.fingerprint()

    def __hash__(self) -> int:
        return int(self.fingerprint()[:16], 16)

    def __repr__(self) -> str:
        return (f"Domain({len(self.intents)} intents, {len(self.entities)} entities, {len(self.slots)} slots, "
                f"{len(self.responses)} responses, {len(self.action_names_or_texts)} actions)")


def load_domain(path: str | Path) -> Domain:
    """Loads domain.yml, or merges every domain file in a directory tree."""
    loaded = read_domain_path(path)
    return Domain(loaded.data, loaded.locations)
