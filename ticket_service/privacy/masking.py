"""What of a ticket a reader who does not handle the resident's matter sees, and what is left of a closed
matter once its personal data is past the retention period. Pure rules: no I/O.
"""

from __future__ import annotations

from typing import Any

from shared.privacy import mask_email, mask_name, mask_phone, mask_text
from ticket_service.tickets.models import Ticket

# Open311 intake writes the contact details it has no field for (a name without a phone, an e-mail
# address) on a line of the description starting with this label.
CONTACT_LABEL = "联系人: "
CONTACT_SEPARATOR = " / "
ANONYMISED_DESCRIPTION = "（个人信息已于保留期满后删除）"
# Coordinates kept after anonymisation: three decimals are about 100 m, where in the community the
# matter was, not whose door.
KEPT_COORDINATE_DECIMALS = 3


def masked_description(description: str) -> str:
    """The description with the Open311 contact line masked and every phone number or e-mail in it masked."""
    lines = []
    for line in description.split("\n"):
        if line.startswith(CONTACT_LABEL):
            parts = line[len(CONTACT_LABEL) :].split(CONTACT_SEPARATOR)
            line = CONTACT_LABEL + CONTACT_SEPARATOR.join(
                mask_email(part) if "@" in part else mask_name(part) for part in parts
            )
        lines.append(mask_text(line))
    return "\n".join(lines)


def masked_contact(ticket: Ticket) -> dict[str, Any]:
    """The fields that carry the resident's contact, masked."""
    return {
        "resident_name": mask_name(ticket.resident_name) if ticket.resident_name is not None else None,
        "resident_phone": mask_phone(ticket.resident_phone) if ticket.resident_phone is not None else None,
        "description": masked_description(ticket.description),
    }


def carries_contact(ticket: Ticket) -> bool:
    """Whether the ticket holds anything masking would hide (a name, a phone, contact in the free text)."""
    if ticket.resident_name is not None or ticket.resident_phone is not None:
        return True
    return masked_description(ticket.description) != ticket.description


def round_coordinate(value: float | None) -> float | None:
    return round(value, KEPT_COORDINATE_DECIMALS) if value is not None else None
