"""The route table: public paths name resources; this says which service owns each.

A request goes to the service of the longest matching prefix. Services serve the same paths, so the
gateway forwards the path unchanged.
"""

from __future__ import annotations

import re

ROUTES: dict[str, str] = {
    # catalogue: the district's structure and the three lists
    "/api/v1/subdistricts": "catalog",
    "/api/v1/communities": "catalog",
    "/api/v1/stations": "catalog",
    "/api/v1/opening-hours": "catalog",  # a day's hours for many stations at once
    "/api/v1/departments": "catalog",
    "/api/v1/staff": "catalog",
    "/api/v1/service-categories": "catalog",
    "/api/v1/service-items": "catalog",
    "/api/v1/resources": "catalog",
    "/api/v1/demands": "catalog",
    "/api/v1/resource-requests": "catalog",
    "/api/v1/coverage": "catalog",
    "/api/v1/me": "catalog",  # who am I: the caller's claims with the catalogue's names
    "/hsds": "catalog",
    "/wall": "catalog",
    # tickets: intake, the three responsibility rules, duty rota, Open311
    "/api/v1/tickets": "ticket",
    "/api/v1/duty-rota": "ticket",
    "/open311": "ticket",
    "/api/v1/api-keys": "ticket",
    "/api/v1/attachments": "ticket",  # a ticket's files through their signed or public links
    "/api/v1/sla-policies": "ticket",
    # deliberation: the three meetings and the on-site office
    "/api/v1/projects": "deliberation",
    "/api/v1/meetings": "deliberation",
    "/api/v1/onsite-offices": "deliberation",
    "/calendars": "deliberation",
    # evaluation: ratings, the department's inbox, assessments
    "/api/v1/evaluations": "evaluation",
    "/api/v1/ratings": "evaluation",
    "/api/v1/performance-assessments": "evaluation",
    "/e": "evaluation",
    "/overview": "evaluation",  # the district overview page (it reads the ticket figures itself)
    # notification: webhooks to district systems, the worker's feed and devices, residents' SMS notices
    "/api/v1/webhooks": "notification",
    "/api/v1/me/feed": "notification",
    "/api/v1/me/devices": "notification",
    "/api/v1/me/notification-preferences": "notification",
    "/api/v1/sms": "notification",
}

SERVICES = ("catalog", "ticket", "deliberation", "evaluation", "notification")

# Longest prefix first, so "/api/v1/stations" never shadows a longer, more specific entry.
_ORDERED = sorted(ROUTES.items(), key=lambda item: len(item[0]), reverse=True)


def route_for(path: str) -> tuple[str, str] | None:
    """(prefix, service) of the longest route-table prefix that owns `path`."""
    for prefix, service in _ORDERED:
        if path == prefix or path.startswith(prefix + "/") or path.startswith(prefix + "."):
            return prefix, service
    return None


# Routes that take a larger body than the gateway's `max_body_bytes`: file uploads. The owning service
# refuses a file past its own limit (413 naming `file`: a ticket attachment's 10 MiB); the gateway's
# allowance is twice the service's, so the service, not the edge, is the one that answers for a file a
# little too large, and the edge still bounds what it takes in.
UPLOAD_ALLOWANCES: tuple[tuple[str, re.Pattern[str], int], ...] = (
    ("POST", re.compile(r"^/api/v1/tickets/[^/]+/attachments$"), 2 * (10 * 1024 * 1024 + 64 * 1024)),
)


def body_limit(method: str, path: str, default: int) -> int:
    """The body limit of one request: the route's upload allowance, else the gateway's `default`."""
    for allowed_method, pattern, allowance in UPLOAD_ALLOWANCES:
        if method == allowed_method and pattern.match(path):
            return max(default, allowance)
    return default


def service_for(path: str) -> str | None:
    route = route_for(path)
    return route[1] if route else None
