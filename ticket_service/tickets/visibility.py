"""Who sees which tickets.

Staff see their station's tickets, secretaries their community's, departments those assigned to
them or in their subdistrict, residents their own, integration clients those they raised, district
admins all. Whoever owns a ticket sees it. Anyone else: 404 for one ticket (they learn nothing of it),
403 for a list their role cannot have.
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from shared.auth import Principal, Role, claim_id
from shared.errors import Forbidden
from ticket_service.tickets.models import Ticket

_STATION_DESK = (Role.receptionist, Role.social_worker)


def owns(principal: Principal, ticket: Ticket) -> bool:
    if ticket.owner_kind == "department":
        return principal.has_role(Role.department) and principal.department_id == ticket.owner_id
    return ticket.owner_id is not None and ticket.owner_id == principal.user_id


def can_see(principal: Principal, ticket: Ticket) -> bool:
    if principal.is_district_admin or owns(principal, ticket):
        return True
    if principal.has_role(*_STATION_DESK) and principal.station_id == str(ticket.station_id):
        return True
    if principal.has_role(Role.secretary):
        if ticket.community_id is not None and principal.community_id == str(ticket.community_id):
            return True
        if principal.station_id == str(ticket.station_id):
            return True
    if principal.has_role(Role.department) and ticket.subdistrict_id is not None:
        if principal.subdistrict_id == str(ticket.subdistrict_id):
            return True
    if principal.has_role(Role.resident) and ticket.resident_id == principal.user_id:
        return True
    return principal.has_role(Role.integration_client) and ticket.created_by == principal.user_id


def list_scope(principal: Principal) -> sa.ColumnElement[bool] | None:
    """The SQL condition for the tickets the caller may list; None means all (district admins)."""
    if principal.is_district_admin:
        return None
    clauses: list[sa.ColumnElement[bool]] = []
    station_id = claim_id(principal.station_id)
    community_id = claim_id(principal.community_id)
    subdistrict_id = claim_id(principal.subdistrict_id)
    if principal.has_role(*_STATION_DESK) and station_id is not None:
        clauses.append(Ticket.station_id == station_id)
    if principal.has_role(Role.secretary):
        if community_id is not None:
            clauses.append(Ticket.community_id == community_id)
        if station_id is not None:
            clauses.append(Ticket.station_id == station_id)
    if principal.has_role(Role.department):
        if principal.department_id:
            clauses.append(sa.and_(Ticket.owner_kind == "department", Ticket.owner_id == principal.department_id))
        if subdistrict_id is not None:
            clauses.append(Ticket.subdistrict_id == subdistrict_id)
        # A department's person named owner under backstop.
        clauses.append(sa.and_(Ticket.owner_kind == "person", Ticket.owner_id == principal.user_id))
    if principal.has_role(Role.resident):
        clauses.append(Ticket.resident_id == principal.user_id)
    if principal.has_role(Role.integration_client):
        clauses.append(Ticket.created_by == principal.user_id)
    if not clauses:
        raise Forbidden("This role cannot list tickets.", code="role_required")
    return clauses[0] if len(clauses) == 1 else sa.or_(*clauses)


def awaiting(principal: Principal) -> sa.ColumnElement[bool]:
    """Tickets waiting for the caller to take them up: theirs (or their department's), not yet accepted."""
    mine = sa.and_(Ticket.owner_kind == "person", Ticket.owner_id == principal.user_id)
    if principal.has_role(Role.department) and principal.department_id:
        mine = sa.or_(mine, sa.and_(Ticket.owner_kind == "department", Ticket.owner_id == principal.department_id))
    return sa.and_(mine, Ticket.status.in_(["new", "reopened"]))


def sync_keys(principal: Principal, *filter_ids: object) -> list[str] | None:
    """The values a ticket's old owner or resident must have had for its `out_of_scope` tombstone to
    concern this caller (shared/sync.py); None for district admins, who lose no ticket."""
    if principal.is_district_admin:
        return None
    keys = [principal.user_id, principal.department_id, *filter_ids]
    return sorted({str(key) for key in keys if key is not None})


# --- what a text search may ask (`q` on lists, counts and the export) ------------------------------------

SEARCH_MAX_CHARACTERS = 100
# Lists show the contact masked: a search for a phone, an ID number or an e-mail would tell a reader who
# sees only `138****0000` which tickets hold the full number. Runs of 4 digits and `@` are refused.
_CONTACT_LIKE = re.compile(r"\d{4}|@|＠")


class SearchRefused(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def search_text(raw: str | None) -> str | None:
    """The search as run (trimmed), None for none; `SearchRefused` for a blank or contact-like query."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        raise SearchRefused("Type some words to search for.", "search_blank")
    if len(text) > SEARCH_MAX_CHARACTERS:
        raise SearchRefused(f"At most {SEARCH_MAX_CHARACTERS} characters.", "search_too_long")
    if _CONTACT_LIKE.search(unicodedata.normalize("NFKC", text)):
        raise SearchRefused("Search by words, not by phone, ID number or e-mail.", "search_personal_data")
    return text
