"""Dialogue policies (RulePolicy, MemoizationPolicy, TEDPolicy ...) and how their votes combine."""
