"""What of a ticket a reader who does not handle the resident's matter sees, and what is left of a closed
matter once its personal data is past the retention period. Pure rules: no I/O.

The one place the ticket service masks: the structured contact (name, phone), the home's address and
coordinates, and every piece of free text anyone typed about the matter (the description, notes in the
history, video-link records, the on-site office's outcome). Free text gets phone numbers, ID and card
numbers, e-mail addresses and the ticket's own names (`ticket_names`) masked the way the name field is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from shared.privacy import mask_email, mask_name, mask_phone, mask_text

# The public feed's rules own what of an address is the door: one rule for the feed and for staff.
from ticket_service.tickets.models import Ticket

# Open311 intake writes the contact details it has no field for (a name without a phone, an e-mail
# address) on a line of the description starting with this label.
CONTACT_LABEL = "联系人: "
CONTACT_SEPARATOR = " / "
ANONYMISED_DESCRIPTION = "（个人信息已于保留期满后删除）"
# Coordinates kept after anonymisation and shown to non-handlers: three decimals are about 100 m, where
# in the community the matter was, not whose door.
KEPT_COORDINATE_DECIMALS = 3
# The ticket's fields a non-handler sees masked (`masked_contact`).
MASKED_FIELDS = (
    "resident_name",
    "resident_phone",
    "description",
    "location_address",
    "latitude",
    "longitude",
    "onsite_outcome",
    "result_text",
)


def contact_line_names(description: str) -> list[str]:
    """The names on an Open311 contact line (`联系人: 王 阿姨 / wang@example.org` -> [`王 阿姨`])."""
    names: list[str] = []
    for line in description.split("\n"):
        if line.startswith(CONTACT_LABEL):
            names.extend(
                part for part in line[len(CONTACT_LABEL) :].split(CONTACT_SEPARATOR) if part and "@" not in part
            )
    return names


def ticket_names(ticket: Ticket) -> list[str]:
    """The names the system knows on this ticket: the resident's, and those on the Open311 contact line.

    The system keeps no household members: the ticket's resident name is all it knows of the family.
    """
    names = [ticket.resident_name] if ticket.resident_name else []
    return names + contact_line_names(ticket.description or "")


def masked_text(text: str | None, names: Iterable[str] = ()) -> str | None:
    """Any free text of a ticket (a note, an outcome) as a non-handler sees it."""
    return mask_text(text, names) if text else text


def masked_description(description: str, names: Iterable[str] = ()) -> str:
    """The description with the Open311 contact line masked, and every phone number, e-mail address and
    occurrence of the given names (the ticket's: `ticket_names`) in it masked."""
    names = list(names)
    lines = []
    for line in description.split("\n"):
        if line.startswith(CONTACT_LABEL):
            parts = line[len(CONTACT_LABEL) :].split(CONTACT_SEPARATOR)
            line = CONTACT_LABEL + CONTACT_SEPARATOR.join(
                mask_email(part) if "@" in part else mask_name(part) for part in parts
            )
        lines.append(mask_text(line, names))
    return "\n".join(lines)


def masked_contact(ticket: Ticket) -> dict[str, Any]:
    """The ticket's fields that carry the resident's contact, home or words, masked (MASKED_FIELDS)."""
    names = ticket_names(ticket)
    return {
        "resident_name": mask_name(ticket.resident_name) if ticket.resident_name is not None else None,
        "resident_phone": mask_phone(ticket.resident_phone) if ticket.resident_phone is not None else None,
        "description": masked_description(ticket.description, names),
        "location_address": masked_address(ticket.location_address, names),
        "latitude": round_coordinate(ticket.latitude),
        "longitude": round_coordinate(ticket.longitude),
        "onsite_outcome": masked_text(ticket.onsite_outcome, names),
        "result_text": masked_text(ticket.result_text, names),
    }


def carries_contact(ticket: Ticket) -> bool:
    """Whether the ticket holds anything masking would hide (a name, a phone, an address, contact in text)."""
    masked = masked_contact(ticket)
    return any(masked[field] != getattr(ticket, field) for field in MASKED_FIELDS)


def masked_address(address: str | None, names: Iterable[str] = ()) -> str | None:
    """The home's address for a non-handler: the road and community, every door number masked."""
    if not address:
        return address
    return mask_text(address, names)


def round_coordinate(value: float | None) -> float | None:
    return round(value, KEPT_COORDINATE_DECIMALS) if value is not None else None
