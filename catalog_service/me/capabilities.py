"""What each role may do, as capability names the app hides buttons by. Pure data, no I/O.

One table for the whole API, kept here because services share no code: each capability names the
endpoint it stands for and the roles the owning service's access rules let call it (in their own
scope). tests/catalog/test_me.py checks every row against tests/security/matrix.yaml's `allow` for that
endpoint (roles that see nothing there, scope `none`, do not get the capability), so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth import Role

# Shorthands in the table's role lists.
GROUPS = {
    "station": (Role.receptionist, Role.social_worker, Role.secretary),
    "admins": (Role.subdistrict_admin, Role.district_admin),
}


@dataclass(frozen=True)
class Capability:
    name: str
    endpoint: str  # "METHOD /path" as in the merged OpenAPI and the matrix
    roles: frozenset[str]


def _roles(names: str) -> frozenset[str]:
    roles: set[str] = set()
    for name in names.split():
        roles.update(str(Role(role)) for role in GROUPS.get(name, (name,)))
    return frozenset(roles)


_TABLE: tuple[tuple[str, str, str], ...] = (
    # tickets (ticket service)
    ("tickets.create", "POST /api/v1/tickets", "station resident integration_client district_admin"),
    ("tickets.list", "GET /api/v1/tickets", "station department resident district_admin"),
    ("tickets.export", "GET /api/v1/tickets/export.csv", "station department resident district_admin"),
    ("tickets.transition", "POST /api/v1/tickets/{ticket_id}/transitions", "station district_admin"),
    ("tickets.close", "POST /api/v1/tickets/{ticket_id}/close", "station district_admin"),
    ("tickets.designate", "POST /api/v1/tickets/{ticket_id}/designate", "secretary district_admin"),
    ("tickets.backstop", "POST /api/v1/tickets/{ticket_id}/backstop", "secretary district_admin"),
    ("tickets.onsite_office", "POST /api/v1/tickets/{ticket_id}/onsite-office", "secretary district_admin"),
    ("tickets.video_links", "POST /api/v1/tickets/{ticket_id}/video-links", "station district_admin"),
    ("tickets.contact", "GET /api/v1/tickets/{ticket_id}/contact", "station resident notifier"),
    ("tickets.contact_reads", "GET /api/v1/tickets/contact-reads", "district_admin"),
    ("rota.view", "GET /api/v1/duty-rota/{station_id}", "station department admins"),
    ("rota.manage", "POST /api/v1/duty-rota/{station_id}/shifts", "secretary admins"),
    ("api_keys.manage", "POST /api/v1/api-keys", "district_admin"),
    # catalogue
    ("catalog.import", "POST /api/v1/stations.csv", "admins"),
    ("stations.manage", "PATCH /api/v1/stations/{station_id}", "admins"),
    ("staff.view", "GET /api/v1/staff/{staff_id}", "station admins integration_client"),
    ("staff.manage", "POST /api/v1/staff", "admins"),
    ("service_items.manage", "POST /api/v1/service-items", "station admins"),
    ("resources.view", "GET /api/v1/resources", "station department admins integration_client"),
    ("resources.manage", "POST /api/v1/resources", "department admins"),
    ("demands.manage", "POST /api/v1/demands", "station admins"),
    ("resource_requests.create", "POST /api/v1/resource-requests", "station admins"),
    ("resource_requests.answer", "POST /api/v1/resource-requests/{request_id}/accept", "department admins"),
    # projects and the three meetings (deliberation service)
    ("projects.create", "POST /api/v1/projects", "station resident district_admin"),
    ("projects.manage", "PATCH /api/v1/projects/{project_id}", "station district_admin"),
    ("meetings.create", "POST /api/v1/meetings", "station district_admin"),
    ("meetings.register", "POST /api/v1/meetings/{meeting_id}/registrations", "resident station district_admin"),
    ("meetings.check_in", "POST /api/v1/meetings/{meeting_id}/check-ins", "station district_admin"),
    ("meetings.vote", "POST /api/v1/meetings/{meeting_id}/motions/{motion_id}/votes", "resident"),
    ("meetings.rate", "POST /api/v1/meetings/{meeting_id}/ratings", "resident"),
    ("onsite_offices.create", "POST /api/v1/onsite-offices", "station district_admin"),
    ("onsite_offices.view", "GET /api/v1/onsite-offices", "station department admins"),
    ("onsite_offices.commit", "POST /api/v1/onsite-offices/{case_id}/commitments", "station department district_admin"),
    # evaluations and ratings (evaluation service)
    ("evaluations.invitations", "GET /api/v1/evaluations/invitations", "station resident district_admin"),
    (
        "evaluations.rating_link",
        "POST /api/v1/evaluations/invitations/{invitation_id}/token",
        "receptionist secretary resident notifier",
    ),
    (
        "evaluations.in_person",
        "POST /api/v1/evaluations/invitations/{invitation_id}/in-person",
        "receptionist secretary",
    ),
    ("evaluations.reports", "GET /api/v1/evaluations/reports/{level}", "station department admins integration_client"),
    ("ratings.inbox", "GET /api/v1/ratings", "department admins"),
    ("ratings.follow_up", "POST /api/v1/ratings/{rating_id}/follow-ups", "department"),
    ("ratings.appeal", "POST /api/v1/ratings/appeals", "social_worker secretary"),
    ("ratings.decide_appeal", "POST /api/v1/ratings/appeals/{appeal_id}/decision", "department"),
    (
        "assessments.view",
        "GET /api/v1/performance-assessments/{staff_id}",
        "social_worker secretary department admins integration_client",
    ),
)

CAPABILITIES: tuple[Capability, ...] = tuple(
    Capability(name, endpoint, _roles(roles)) for name, endpoint, roles in _TABLE
)


def capabilities_of(roles: frozenset[str] | set[str]) -> list[str]:
    """The capability names any of `roles` has, in table order."""
    return [capability.name for capability in CAPABILITIES if capability.roles & roles]
