"""Which event types a district system may subscribe to, and the patterns it may use: pure, no I/O.

Only the types listed here ever leave the system by webhook. Anything carrying a secret (a resident's
rating code, a rating link) or nothing a district system acts on (the catalogue's copies of staff) is
not listed, so no pattern, not even `#`, can reach it.
"""

from __future__ import annotations

import re

from shared.events.bus import matches

SUBSCRIBABLE: dict[str, str] = {
    "ticket.created": "A resident's request was received at a station (or through an integration).",
    "ticket.assigned": "A ticket got its owner, or a new one (first-inquiry, designated, backstop).",
    "ticket.accepted": "The owner accepted the ticket: the acceptance clock stopped.",
    "ticket.escalated": "A ticket moved up a responsibility level.",
    "ticket.resolved": "The owner reports the matter resolved.",
    "ticket.replied": "The station wrote the resident a public reply (ids only; the words are in Open311 updates).",
    "ticket.closed": "The matter is closed, with its acceptance and resolution figures.",
    "ticket.sla_warning": "Half or four fifths of an acceptance or resolution budget are used.",
    "ticket.sla_breached": "An acceptance or resolution budget is exceeded.",
    "ticket.transferred": "A ticket moved to another station (misrouted, or the resident moved); both stations named.",
    "ticket.returned": "A transferred ticket went back to the station it came from.",
    "ticket.duplicate_linked": "A ticket was closed as a duplicate of another (`parent_id`).",
    "ticket.parent_resolved": "The ticket a duplicate points at was resolved (one event per duplicate).",
    "ticket.backstop_requested": "A ticket's owner asked the community's secretary for the backstop.",
    "onsite_office.requested": "A ticket asks the subdistrict and district to hold office at the station.",
    "evaluation.submitted": "A resident rated the work on a ticket (attitude and ability).",
    "evaluation.appeal_decided": "An appeal against a rating was decided.",
    "review.completed": "A project's review meeting rated its result.",
}

MAX_PATTERNS = 20
_WORD = re.compile(r"[a-z][a-z0-9_]*|\*|#")


class PatternError(ValueError):
    """A pattern that is malformed or matches nothing a subscriber may receive."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


def types_matching(pattern: str) -> list[str]:
    return [event_type for event_type in SUBSCRIBABLE if matches(pattern, event_type)]


def check_pattern(pattern: str) -> str:
    """The pattern, when it is an AMQP-style topic (`ticket.*`, `ticket.#`, `#`) matching a subscribable type."""
    words = pattern.split(".")
    if not pattern or len(pattern) > 100 or not all(_WORD.fullmatch(word) for word in words):
        raise PatternError(pattern, "words of lower-case letters, digits and _ joined by dots, or * and #")
    if not types_matching(pattern):
        raise PatternError(pattern, "matches no event type a subscriber may receive")
    return pattern


def check_patterns(patterns: list[str]) -> list[str]:
    if not patterns:
        raise PatternError("", "name at least one event type")
    if len(patterns) > MAX_PATTERNS:
        raise PatternError(patterns[MAX_PATTERNS], f"at most {MAX_PATTERNS} patterns")
    checked: list[str] = []
    for pattern in patterns:
        if check_pattern(pattern) not in checked:
            checked.append(pattern)
    return checked


def wants(patterns: list[str], event_type: str) -> bool:
    """Whether a subscription with these patterns receives this type (never a type off the catalogue)."""
    return event_type in SUBSCRIBABLE and any(matches(pattern, event_type) for pattern in patterns)
