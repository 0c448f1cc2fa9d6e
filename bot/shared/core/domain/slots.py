"""Slot types (text, bool, categorical, float, list, any), their values and their featurisation."""

from __future__ import annotations

import copy
import difflib
import importlib
from typing import Any, ClassVar

from bot.shared.core.domain.constants import DEFAULT_CATEGORICAL_SLOT_VALUE
from bot.shared.core.domain.slot_mappings import SlotMapping
from bot.shared.errors import InvalidDomain

_TRUE_STRINGS = {"true", "1", "yes", "y", "on", "1.0"}
_FALSE_STRINGS = {"false", "0", "no", "n", "off", "0.0"}


class Slot:
    """A named piece of conversation memory; the domain holds templates, trackers hold copies."""

    type_name: ClassVar[str] = "any"
    featurized_by_default: ClassVar[bool] = True

    def __init__(self, name: str, mappings: list[SlotMapping] | None = None, initial_value: Any = None,
                 influence_conversation: bool | None = None, location: str | None = None) -> None:
        self.name = name
        self.mappings = list(mappings or [])
        self.initial_value = initial_value
        self.value = initial_value
        self.influence_conversation = (
            self.featurized_by_default if influence_conversation is None else bool(influence_conversation))
        self.location = location

    # -- values ---------------------------------------------------------------
    def coerce(self, value: Any) -> Any:
        """Returns `value` in this slot's type, or raises ValueError saying why it does not fit."""
        return value

    def reset(self) -> None:
        self.value = self.initial_value

    def copy(self) -> Slot:
        """A fresh copy holding the initial value (what a new tracker starts with)."""
        # Shallow on purpose: name, mappings and allowed values are never mutated, and trackers
        # copy every slot once per replay, so a deep copy would dominate prediction time.
        fresh = copy.copy(self)
        fresh.value = copy.deepcopy(self.initial_value)
        return fresh

    # -- featurisation ----------------------------------------------------------
    def feature_dimensionality(self) -> int:
        return self._feature_size() if self.influence_conversation else 0

    def has_features(self) -> bool:
        return self.feature_dimensionality() > 0

    def as_feature(self) -> list[float]:
        """The slot's part of the dialogue state; empty when it does not influence the conversation."""
        if not self.influence_conversation:
            return []
        return self._as_feature()

    def _feature_size(self) -> int:
        return 1

    def _as_feature(self) -> list[float]:
        return [1.0 if self.value is not None else 0.0]

    # -- serialisation ----------------------------------------------------------
    def persistence_info(self) -> dict[str, Any]:
        """The slot in Rasa's domain YAML/JSON shape."""
        info: dict[str, Any] = {
            "type": self.type_name,
            "initial_value": self.initial_value,
            "influence_conversation": self.influence_conversation,
            "mappings": [m.as_dict() for m in self.mappings],
        }
        info.update(self._extra_info())
        return info

    def _extra_info(self) -> dict[str, Any]:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}: {self.value!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Slot) and type(self) is type(other)
                and self.persistence_info() == other.persistence_info() and self.name == other.name
                and self.value == other.value)

    __hash__ = None  # type: ignore[assignment]  # slots are mutable


class TextSlot(Slot):
    """Any text; featurised as set / not set."""

    type_name = "text"

    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float, bool)):
            return str(value)
        raise ValueError(f"slot '{self.name}' holds text, not {type(value).__name__}")


class BooleanSlot(Slot):
    """True/false; featurised as [is set, value]."""

    type_name = "bool"

    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE_STRINGS | _FALSE_STRINGS:
            return value.strip().lower() in _TRUE_STRINGS
        raise ValueError(f"slot '{self.name}' is a bool slot; {value!r} is not true or false")

    def _feature_size(self) -> int:
        return 2

    def _as_feature(self) -> list[float]:
        if self.value is None:
            return [0.0, 0.0]
        try:
            return [1.0, 1.0 if self.coerce(self.value) else 0.0]
        except ValueError:
            return [1.0, 0.0]


class FloatSlot(Slot):
    """A number; featurised as [is set, value scaled into min_value..max_value]."""

    type_name = "float"

    def __init__(self, name: str, mappings: list[SlotMapping] | None = None, initial_value: Any = None,
                 influence_conversation: bool | None = None, location: str | None = None,
                 min_value: float = 0.0, max_value: float = 1.0) -> None:
        super().__init__(name, mappings, initial_value, influence_conversation, location)
        self.min_value = float(min_value)
        self.max_value = float(max_value)
        if self.min_value > self.max_value:
            raise InvalidDomain(
                f"float slot '{name}' has min_value {min_value} above max_value {max_value}", location=location,
                hint="swap min_value and max_value")

    def coerce(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            raise ValueError(f"slot '{self.name}' is a float slot; {value!r} is not a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"slot '{self.name}' is a float slot; {value!r} is not a number") from None

    def _feature_size(self) -> int:
        return 2

    def _as_feature(self) -> list[float]:
        try:
            number = float(self.value)
        except (TypeError, ValueError):
            return [0.0, 0.0]
        capped = max(self.min_value, min(self.max_value, number))
        width = abs(self.max_value - self.min_value) or 1.0
        return [1.0, (capped - self.min_value) / width]

    def _extra_info(self) -> dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value}


class ListSlot(Slot):
    """A list of values; featurised as [non-empty]."""

    type_name = "list"

    def coerce(self, value: Any) -> Any:
        if value is None or isinstance(value, list):
            return value
        if isinstance(value, tuple):
            return list(value)
        return [value]  # Rasa wraps a single value too, so an entity can fill a list slot

    def _as_feature(self) -> list[float]:
        return [1.0 if isinstance(self.value, (list, tuple)) and len(self.value) > 0 else 0.0]


class CategoricalSlot(Slot):
    """One of `values` (compared case-insensitively); featurised one-hot, unknown values as `__other__`."""

    type_name = "categorical"

    def __init__(self, name: str, mappings: list[SlotMapping] | None = None, initial_value: Any = None,
                 influence_conversation: bool | None = None, location: str | None = None,
                 values: list[Any] | None = None) -> None:
        super().__init__(name, mappings, initial_value, influence_conversation, location)
        self.values = [str(v).lower() for v in (values or [])]
        self._user_values = list(values or [])

    def add_default_value(self) -> None:
        """Rasa appends `__other__` so that unseen values still have a feature."""
        if DEFAULT_CATEGORICAL_SLOT_VALUE not in self.values:
            self.values.append(DEFAULT_CATEGORICAL_SLOT_VALUE)

    def coerce(self, value: Any) -> Any:
        # Unknown values are allowed (Rasa featurises them as __other__), so nothing is refused.
        return value

    def is_known_value(self, value: Any) -> bool:
        return value is None or str(value).lower() in self.values

    def _feature_size(self) -> int:
        return len(self.values)

    def _as_feature(self) -> list[float]:
        features = [0.0] * len(self.values)
        if self.value is None:
            return features
        wanted = str(self.value).lower()
        if wanted in self.values:
            features[self.values.index(wanted)] = 1.0
        elif DEFAULT_CATEGORICAL_SLOT_VALUE in self.values:
            features[self.values.index(DEFAULT_CATEGORICAL_SLOT_VALUE)] = 1.0
        return features

    def _extra_info(self) -> dict[str, Any]:
        return {"values": list(self._user_values)}


class AnySlot(Slot):
    """Any value; never featurised (Rasa refuses `influence_conversation: true` here)."""

    type_name = "any"
    featurized_by_default = False

    def __init__(self, name: str, mappings: list[SlotMapping] | None = None, initial_value: Any = None,
                 influence_conversation: bool | None = None, location: str | None = None) -> None:
        if influence_conversation:
            raise InvalidDomain(
                f"slot '{name}' of type 'any' cannot influence the conversation", location=location,
                hint="set 'influence_conversation: false' or choose a featurised type (text, bool, "
                     "categorical, float, list)")
        super().__init__(name, mappings, initial_value, False, location)

    def _feature_size(self) -> int:
        return 0

    def _as_feature(self) -> list[float]:
        return []


SLOT_TYPES: dict[str, type[Slot]] = {
    cls.type_name: cls for cls in (TextSlot, BooleanSlot, CategoricalSlot, FloatSlot, ListSlot, AnySlot)
}
# Extra keys each built-in type accepts besides the common ones.
_TYPE_OPTIONS = {"categorical": {"values"}, "float": {"min_value", "max_value"}}
_COMMON_KEYS = {"type", "mappings", "initial_value", "influence_conversation"}


def resolve_slot_type(type_name: Any, slot_name: str, where: str | None) -> type[Slot]:
    """Finds the class for a slot `type`: a built-in name or a `module.Class` subclass of Slot."""
    if isinstance(type_name, str) and type_name in SLOT_TYPES:
        return SLOT_TYPES[type_name]
    if isinstance(type_name, str) and "." in type_name:
        module_name, _, class_name = type_name.rpartition(".")
        try:
            found = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            found = None
        if isinstance(found, type) and issubclass(found, Slot):
            return found
        raise InvalidDomain(
            f"slot '{slot_name}' has custom type '{type_name}' which cannot be imported as a Slot class",
            location=where,
            hint="make the module importable (on PYTHONPATH) and subclass bot.shared.core.domain.slots.Slot, "
                 f"or use a built-in type: {', '.join(SLOT_TYPES)}")
    close = difflib.get_close_matches(str(type_name), list(SLOT_TYPES), n=1)
    guess = f"did you mean '{close[0]}'? " if close else ""
    raise InvalidDomain(
        f"slot '{slot_name}' has unknown type '{type_name}'", location=where,
        hint=f"{guess}use one of: {', '.join(SLOT_TYPES)}")


def slot_from_dict(name: str, data: dict[str, Any], mappings: list[SlotMapping], where: str | None) -> Slot:
    """Builds a slot from its domain entry (mappings already parsed)."""
    slot_class = resolve_slot_type(data.get("type"), name, where)
    options = {k: v for k, v in data.items() if k not in _COMMON_KEYS}
    if slot_class in SLOT_TYPES.values():
        allowed = _TYPE_OPTIONS.get(slot_class.type_name, set())
        unknown = set(options) - allowed
        if unknown:
            raise InvalidDomain(
                f"slot '{name}' of type '{slot_class.type_name}' does not take {sorted(unknown)}", location=where,
                hint="allowed keys: " + ", ".join(sorted(_COMMON_KEYS | allowed)))
        if slot_class is CategoricalSlot and not isinstance(options.get("values", []), list):
            raise InvalidDomain(f"categorical slot '{name}': 'values' must be a list", location=where,
                                hint="write the values as a YAML list under 'values:'")
        for bound in ("min_value", "max_value"):
            if bound in options and (isinstance(options[bound], bool)
                                     or not isinstance(options[bound], (int, float))):
                raise InvalidDomain(f"float slot '{name}': '{bound}' must be a number", location=where,
                                    hint=f"write e.g. '{bound}: 10'")
    influence = data.get("influence_conversation")
    if influence is not None and not isinstance(influence, bool):
        raise InvalidDomain(f"slot '{name}': 'influence_conversation' must be true or false", location=where,
                            hint="write 'influence_conversation: true' or 'false'")
    try:
        return slot_class(name, mappings=mappings, initial_value=data.get("initial_value"),
                          influence_conversation=influence, location=where, **options)
    except TypeError as error:
        raise InvalidDomain(f"slot '{name}' cannot be built from its options: {error}", location=where,
                            hint="remove the options its type does not know") from None
