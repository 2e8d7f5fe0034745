"""Pure rules of notes, public replies and the result text (办理结果). No I/O.

A note is the staff's: it is read by whoever works the ticket and never leaves the system (not to the
resident, not in Open311, not in an event). A public reply is the station's answer to the resident: the
resident reads it, and so does the public feed (masked as the description is). The result text is the
answer given when the matter is resolved: required to resolve, and once resolved (or closed) it is what
the public reads of the ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ticket_service.open311.public import PUBLIC_STATE_TEXT, RESULT_STATES

MAX_TEXT_LENGTH = 2000


class MessageKind(StrEnum):
    """What a written message on a ticket is: whose eyes it is for."""

    note = "note"  # internal work note: staff only
    reply = "reply"  # public reply: the resident and the public feed


# States in which the station no longer answers on the ticket: a closed or cancelled matter is over (a
# resolved one is not: the resident may still reopen it, and hear more first).
NO_REPLY_STATES = frozenset({"closed", "cancelled"})


class TextRefused(ValueError):
    """A text that cannot be kept: blank, or longer than MAX_TEXT_LENGTH once trimmed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_text(raw: str | None, *, required_code: str = "text_required") -> str:
    """The text as kept: trimmed of surrounding whitespace, 1..MAX_TEXT_LENGTH characters."""
    text = (raw or "").strip()
    if not text:
        raise TextRefused(required_code, "Write something: the text is empty.")
    if len(text) > MAX_TEXT_LENGTH:
        raise TextRefused("text_too_long", f"At most {MAX_TEXT_LENGTH} characters.")
    return text


def may_reply(state: str) -> bool:
    return state not in NO_REPLY_STATES


@dataclass(frozen=True)
class Reply:
    """A public reply as the status rule reads it: its (already masked) words and when it was written."""

    text: str
    at: datetime


def current_reply(latest: Reply | None, state_changed_at: datetime | None) -> Reply | None:
    """The latest public reply while it is still news: written at or after the ticket's last state change.
    A state change after it (accepted, cancelled ...) speaks for the ticket from then on."""
    if latest is None:
        return None
    if state_changed_at is not None and latest.at < state_changed_at:
        return None
    return latest


def status_notes(state: str, *, result_text: str | None, reply: str | None) -> str:
    """Open311 `status_notes`: the result text once resolved or closed; else the current public reply
    (`current_reply`); else the public words for the state. Every text given is already masked."""
    if state in RESULT_STATES and result_text:
        return result_text
    if reply:
        return reply
    return PUBLIC_STATE_TEXT.get(state, "处理中")
