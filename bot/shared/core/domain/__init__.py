"""The Rasa 3.x domain: loading (a file or a directory of files) and the model the dialogue uses."""

from bot.shared.core.domain.domain import Domain, load_domain
from bot.shared.core.domain.domain_reader import DomainWarning, is_domain_file
from bot.shared.core.domain.forms import Form
from bot.shared.core.domain.session_config import SessionConfig
from bot.shared.core.domain.slot_extraction import TrackerView, extract_slot_values
from bot.shared.core.domain.slot_mappings import MappingCondition, SlotMapping
from bot.shared.core.domain.slots import (
    AnySlot,
    BooleanSlot,
    CategoricalSlot,
    FloatSlot,
    ListSlot,
    Slot,
    TextSlot,
)

__all__ = [
    "AnySlot", "BooleanSlot", "CategoricalSlot", "Domain", "DomainWarning", "FloatSlot", "Form", "ListSlot",
    "MappingCondition", "SessionConfig", "Slot", "SlotMapping", "TextSlot", "TrackerView", "extract_slot_values",
    "is_domain_file", "load_domain",
]
