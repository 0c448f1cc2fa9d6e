"""The one place where dialogue policies are registered, by their Rasa names (imported lazily)."""

from __future__ import annotations

import difflib
import importlib

from bot.core.policies.policy import Policy
from bot.shared.errors import InvalidConfig
from bot.shared.rasa_unavailable import check_available

POLICIES: dict[str, str] = {
    "RulePolicy": "bot.core.policies.rule_policy:RulePolicy",
    "MemoizationPolicy": "bot.core.policies.memoization:MemoizationPolicy",
    "AugmentedMemoizationPolicy": "bot.core.policies.memoization:AugmentedMemoizationPolicy",
    "TEDPolicy": "bot.core.policies.ted_policy:TEDPolicy",
    "UnexpecTEDIntentPolicy": "bot.core.policies.unexpected_intent:UnexpecTEDIntentPolicy",
}


def policy_class(name: str, *, index: int | None = None) -> type[Policy]:
    short = name.rsplit(".", 1)[-1]
    target = POLICIES.get(short)
    if target is None:
        where = f"policy {index + 1}: " if index is not None else ""
        check_available(name, where)
        close = difflib.get_close_matches(short, POLICIES, n=1)
        raise InvalidConfig(f"{where}unknown policy '{name}'" + (f" — did you mean '{close[0]}'?" if close else ""),
                            hint="use one of: " + ", ".join(sorted(POLICIES)))
    module_name, class_name = target.split(":")
    cls: type[Policy] = getattr(importlib.import_module(module_name), class_name)
    cls.name = short
    return cls
