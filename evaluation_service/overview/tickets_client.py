"""The ticket service's figures for the overview, read over HTTP with the caller's own token.

The caller's token, not a service token: the ticket service applies its own scope rule to the caller, so
the page can never show more tickets than the caller may read there.
"""

from __future__ import annotations

import logging

import httpx
from pydantic import ValidationError

from evaluation_service.overview.figures import TicketFigures
from shared.errors import ServiceUnavailable

logger = logging.getLogger("evaluation.overview")


async def ticket_figures(
    base_url: str,
    authorization: str,
    year: int,
    *,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> TicketFigures:
    """`GET /api/v1/tickets/overview?year=`; 503 `service_unavailable` when it cannot be had."""
    url = f"{base_url.rstrip('/')}/api/v1/tickets/overview"
    try:
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            response = await client.get(
                url, params={"year": year}, headers={"Authorization": authorization, "Accept": "application/json"}
            )
    except httpx.HTTPError as error:
        logger.warning("ticket figures unreachable", extra={"error": type(error).__name__})
        raise ServiceUnavailable("The ticket figures cannot be read now.", headers={"Retry-After": "5"}) from error
    if response.status_code != 200:
        logger.warning("ticket figures refused", extra={"status": response.status_code})
        raise ServiceUnavailable("The ticket figures cannot be read now.", headers={"Retry-After": "5"})
    try:
        return TicketFigures.model_validate_json(response.content)
    except ValidationError as error:
        logger.warning("ticket figures unreadable")
        raise ServiceUnavailable("The ticket figures cannot be read now.") from error
