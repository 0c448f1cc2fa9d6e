"""The one place where dialogue policies are registered, by their Rasa names (imported lazily)."""

from __future__ import annotations

from bot.core.policies.policy import Policy
from bot.shared.registry import lookup

POLICIES: dict[str, str] = {
    "RulePolicy": "bot.core.policies.rule_policy:RulePolicy",
    "MemoizationPolicy": "bot.core.policies.memoization:MemoizationPolicy",
    "AugmentedMemoizationPolicy": "bot.core.policies.memoization:AugmentedMemoizationPolicy",
    "TEDPolicy": "bot.core.policies.ted_policy:TEDPolicy",
    "UnexpecTEDIntentPolicy": "bot.core.policies.unexpected_intent:UnexpecTEDIntentPolicy",
}


def policy_class(name: str, *, index: int | None = None) -> type[Policy]:
    """The policy registered under `name` (or a project's own, by dotted path)."""
    where = f"policy {index + 1}: " if index is not None else ""
    return lookup(name, POLICIES, Policy, kind="policy", where=where)
