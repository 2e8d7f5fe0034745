"""The refusals of pure rules (state machines, routing, SLA clocks, scoring): no I/O, no HTTP.

A rule raises `InvalidInput` for bad input (naming the field) or `IllegalTransition` for a change the
current state does not allow, each with a snake_case `reason`. The kernel's problem handlers turn them
into 422 (with the field) and 409 problem+json, the reason as the `code`, so no service maps them itself.
"""

from __future__ import annotations

from typing import Any


class RuleViolation(ValueError):
    def __init__(self, reason: str, detail: str | None = None, **extensions: Any) -> None:
        self.reason = reason
        self.detail = detail
        self.extensions = extensions  # extra members of the problem, e.g. the state and the action
        super().__init__(reason + (f" ({detail})" if detail else ""))


class InvalidInput(RuleViolation):
    """Bad input to a rule: names the offending ``field`` and a snake_case ``reason`` (HTTP 422)."""

    def __init__(self, field: str, reason: str, detail: str | None = None) -> None:
        self.field = field
        super().__init__(reason, detail)
        self.args = (f"{field}: {reason}" + (f" ({detail})" if detail else ""),)


class IllegalTransition(RuleViolation):
    """A change that the current state does not allow (HTTP 409), with a snake_case ``reason``."""
