"""A ticket list's items from plain rows (no ORM entities), masked exactly as `privacy.masked_read` masks
a ticket: the contact, the home and every free text for everyone, `contact_masked` when anything was
hidden. Pure: no I/O."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from ticket_service.privacy.masking import MASKED_FIELDS, masked_contact
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.schemas import TicketRead


def list_item(row: sa.Row[Any]) -> TicketRead:
    """One row of `repository.LIST_COLUMNS` as a list shows it; the masking worked out once per row."""
    values = dict(row._mapping)
    # The masking rules read a ticket's attributes; a row of the list's columns carries every one they read.
    masked = masked_contact(cast(Ticket, row))
    if any(masked[field] != values[field] for field in MASKED_FIELDS):
        values.update(masked, contact_masked=True)
    return TicketRead.model_validate(values)
