"""Open311 GeoReport v2 for other district systems, under /open311/v2.

Services are the stations' service items; requests are tickets. Every path answers in `.json` or
`.xml`; errors come in the spec's shape (`[{"code", "description"}]`, `<errors><error>`) with 400, 403
or 404, in the format asked for. Empty parameters count as absent. POST needs an `api_key`.

Reading requests needs no key, and then shows what FixMyStreet shows the public: the matter (its
description with contact, names and door numbers masked), the service, the status and the location
coarsened to the road or community, coordinates to ~100 m; pages of at most PUBLIC_MAX_PAGE_SIZE. An
integration's valid `api_key` shows what the integration role sees on /api/v1/tickets (the address with
its door numbers masked, the photo) and allows larger pages; names, phones and e-mails stay masked for
every reader, and coordinates rounded (integrations handle no resident's matter).

`servicerequestupdates` (FixMyStreet's extension) lists each state change after the request was made,
oldest first: the public words of the new state (`public.py`), and for a resolution its note masked as the
description is. No other note (staff write those for each other) and no actor. A request's `status_notes`
carries the same public words, its last resolution's note once resolved or closed.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, Role
from shared.clock import Now
from shared.errors import Problem
from shared.idempotency import IdempotentRoute, idempotent
from shared.localtime import LOCAL_TIME_ZONE
from shared.privacy import mask_text
from shared.service import SessionDep
from ticket_service.attachments import service as attachments
from ticket_service.attachments.rules import media_at, public_media_url
from ticket_service.open311 import repository as queries
from ticket_service.open311.formats import FORMATS, Open311Error, error_response, render
from ticket_service.open311.keys import find_active
from ticket_service.open311.public import coarsen_address, coarsen_coordinate, public_state_text
from ticket_service.privacy.masking import (
    CONTACT_LABEL,
    CONTACT_SEPARATOR,
    masked_contact,
    masked_description,
    masked_text,
    ticket_names,
)
from ticket_service.replies import repository as replies
from ticket_service.replies.rules import Reply, current_reply, status_notes
from ticket_service.stations import repository as stations
from ticket_service.stations.models import StationCopy
from ticket_service.tickets import service
from ticket_service.tickets.catalogue import CATEGORY_BY_CODE, ITEM_BY_CODE, ITEMS, ServiceItem
from ticket_service.tickets.models import Ticket
from ticket_service.tickets.router import sla_policy
from ticket_service.tickets.schemas import Channel, Location, TicketCreate

_OPEN311_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["code", "description"],
        "properties": {"code": {"type": "integer"}, "description": {"type": "string"}},
    },
}
_ERROR_CONTENT = {"content": {"application/json": {"schema": _OPEN311_ERRORS}, "text/xml": {}}}
# Every path answers in the format its suffix names, errors included, in the spec's error shape.
OPEN311_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/xml": {}}},
    400: {"description": "Bad request (Open311 errors)", **_ERROR_CONTENT},
    403: {"description": "No valid api_key (Open311 errors)", **_ERROR_CONTENT},
    404: {"description": "Not found (Open311 errors)", **_ERROR_CONTENT},
}

router = APIRouter(prefix="/open311/v2", tags=["open311"], responses=OPEN311_RESPONSES, route_class=IdempotentRoute)


async def open311_caller(request: Request, session: AsyncSession) -> str | None:
    """An Open311 POST's Idempotency-Key belongs to the integration whose api_key sent it."""
    form = await request.form()
    api_key = form.get("api_key")
    key = await find_active(session, api_key.strip()) if isinstance(api_key, str) else None
    return f"open311:{key.client_id}" if key is not None else None


SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+08:00"
# Pages: the public gets FixMyStreet-sized pages, an integration with a key the spec's usual 1,000.
DEFAULT_PAGE_SIZE = 50
PUBLIC_MAX_PAGE_SIZE = 200
INTEGRATION_MAX_PAGE_SIZE = 1000
MAX_PAGE = 10_000
# The spec's window: a query spans at most 90 days, the most recent 90 when no date is given.
DEFAULT_WINDOW = timedelta(days=90)
CLOSED = {"resolved", "closed", "cancelled"}
NEAREST_STATION_KM = 10.0


def _query(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


# The spec's parameters, read from the query by hand (so errors keep the spec's shape): declared here so
# clients generated from /openapi.json can send them.
JURISDICTION = _query("jurisdiction_id", "This endpoint's jurisdiction (optional: it serves one).")
API_KEY = _query("api_key", "An integration's key: reads as that integration (more detail, larger pages).")
PAGING_NOTE = (
    f"Pages: page (from 1, at most {MAX_PAGE}) and page_size ({DEFAULT_PAGE_SIZE} by default; at most "
    f"{PUBLIC_MAX_PAGE_SIZE}, {INTEGRATION_MAX_PAGE_SIZE} with an api_key). Ask for the next page until one "
    "comes back shorter than page_size. requests are newest first (a request raised while paging moves the "
    "later pages by one: fix end_date, or drop repeated ids); servicerequestupdates oldest first."
)
PAGING = [
    _query("page", "Page number, from 1.", type="integer", minimum=1, maximum=MAX_PAGE),
    _query(
        "page_size",
        f"Items per page ({DEFAULT_PAGE_SIZE} by default; at most {PUBLIC_MAX_PAGE_SIZE}, "
        f"{INTEGRATION_MAX_PAGE_SIZE} with an api_key).",
        type="integer",
        minimum=1,
        maximum=INTEGRATION_MAX_PAGE_SIZE,
    ),
]
REQUESTS_QUERY = [
    JURISDICTION,
    API_KEY,
    _query("service_request_id", "Comma-separated request ids; when given, the other filters are ignored."),
    _query("service_code", "Comma-separated service codes."),
    _query("start_date", "Earliest request time (W3C datetime with zone).", type="string", format="date-time"),
    _query(
        "end_date", "Latest request time; with start_date at most 90 days apart.", type="string", format="date-time"
    ),
    _query(
        "status", "open, closed, or both comma-separated.", type="string", pattern="^(open|closed)(,(open|closed))?$"
    ),
    _query(
        "updated_after",
        "Only requests changed at or after this time (W3C datetime with zone); with updated_before at most 90 "
        "days apart. Without start_date and end_date, no window on the request time applies.",
        type="string",
        format="date-time",
    ),
    _query("updated_before", "Only requests changed at or before this time.", type="string", format="date-time"),
    *PAGING,
]
UPDATES_QUERY = [
    JURISDICTION,
    API_KEY,
    _query(
        "start_date",
        "Earliest update time (W3C datetime with zone); with end_date at most 90 days apart.",
        type="string",
        format="date-time",
    ),
    _query("end_date", "Latest update time.", type="string", format="date-time"),
    *PAGING,
]
_FORM_FIELDS: dict[str, dict[str, Any]] = {
    "jurisdiction_id": {"type": "string"},
    "api_key": {"type": "string"},
    "service_code": {"type": "string"},
    "lat": {"type": "number", "minimum": -90, "maximum": 90},
    "long": {"type": "number", "minimum": -180, "maximum": 180},
    "address_string": {"type": "string"},
    "address_id": {"type": "string"},
    "email": {"type": "string"},
    "device_id": {"type": "string"},
    "account_id": {"type": "string"},
    "first_name": {"type": "string"},
    "last_name": {"type": "string"},
    "phone": {"type": "string"},
    "description": {"type": "string", "maxLength": 4000},
    "media_url": {"type": "string"},
    "attribute[station_id]": {"type": "string", "description": "The station that should handle it."},
    "attribute[channel]": {"type": "string", "enum": ["web", "app"], "description": "web (default) or app."},
}
POST_REQUEST_BODY = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "title": "Open311RequestForm",
                "type": "object",
                "required": ["api_key", "service_code"],
                "properties": _FORM_FIELDS,
            }
        }
    },
}


def _params(request: Request) -> dict[str, str]:
    return {key: value.strip() for key, value in request.query_params.items() if value.strip()}


async def _answer(
    request: Request, fmt: str, session: AsyncSession, work: Callable[[str], Awaitable[Response]]
) -> Response:
    if fmt not in FORMATS:
        return error_response("json", 400, f"Unsupported format {fmt!r}: use .json or .xml.")
    try:
        jurisdiction = _params(request).get("jurisdiction_id")
        expected = request.app.state.runtime.settings.open311_jurisdiction_id
        if jurisdiction is not None and jurisdiction != expected:
            raise Open311Error(404, f"jurisdiction_id {jurisdiction} not found; this endpoint serves {expected}.")
        return await work(fmt)
    except Open311Error as error:
        await session.rollback()  # nothing half-written
        return error_response(fmt, error.status, error.description)


def _datetime(value: datetime | None) -> str | None:
    return value.astimezone(LOCAL_TIME_ZONE).isoformat(timespec="seconds") if value is not None else None


# --- discovery and services ------------------------------------------------------------------------


@router.get("/discovery.{fmt}", summary="Open311 discovery", openapi_extra={"parameters": [JURISDICTION]})
async def discovery(fmt: str, request: Request, session: SessionDep) -> Response:
    async def work(fmt: str) -> Response:
        settings = request.app.state.runtime.settings
        # The configured public name, never the request's Host header (any caller sets that).
        base = settings.public_base_url.rstrip("/") + "/open311/v2"
        data = {
            "changeset": CHANGESET,
            "contact": settings.open311_contact,
            "key_service": "Ask the district administrator for an API key (POST /api/v1/api-keys).",
            "paging": PAGING_NOTE,
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        }
        return render(fmt, data, "discovery")

    return await _answer(request, fmt, session, work)


def _service(item: ServiceItem) -> dict[str, Any]:
    category = CATEGORY_BY_CODE[item.category]
    return {
        "service_code": item.code,
        "service_name": item.name,
        "description": f"{category.name} / {category.name_en}",
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(part for part in (category.code, category.name_en) if part),
        "group": category.name,
    }


@router.get(
    "/services.{fmt}",
    summary="Service list: the stations' service items",
    openapi_extra={"parameters": [JURISDICTION]},
)
async def services(fmt: str, request: Request, session: SessionDep) -> Response:
    async def work(fmt: str) -> Response:
        return render(fmt, [_service(item) for item in ITEMS], "services", "service")

    return await _answer(request, fmt, session, work)


@router.get(
    "/services/{service_code}.{fmt}", summary="Service definition", openapi_extra={"parameters": [JURISDICTION]}
)
async def service_definition(service_code: str, fmt: str, request: Request, session: SessionDep) -> Response:
    async def work(fmt: str) -> Response:
        if service_code not in ITEM_BY_CODE:
            raise Open311Error(404, f"service_code {service_code} not found.")
        data = {
            "service_code": service_code,
            "attributes": [
                {
                    "variable": True,
                    "code": "station_id",
                    "datatype": "string",
                    "required": False,
                    "datatype_description": "A station id (UUID). Without it, the station nearest to lat/long.",
                    "order": 1,
                    "description": "The doorstep service station that should handle the request.",
                },
                {
                    "variable": True,
                    "code": "channel",
                    "datatype": "singlevaluelist",
                    "required": False,
                    "datatype_description": None,
                    "order": 2,
                    "description": "How the resident reached the district system.",
                    "values": [{"key": "web", "name": "网上"}, {"key": "app", "name": "移动应用"}],
                },
            ],
        }
        return render(fmt, data, "service_definition")

    return await _answer(request, fmt, session, work)


# --- requests --------------------------------------------------------------------------------------


def service_code_of(ticket: Ticket) -> str:
    return ticket.service_item or ticket.service_category


def request_view(
    ticket: Ticket,
    station: StationCopy | None,
    *,
    integration: bool = False,
    reply: str | None = None,
    public_media: list[str] | None = None,
) -> dict[str, Any]:
    """One request as the spec shapes it. `integration`: the reader holds a valid api_key; `reply`: the
    ticket's current public reply (replies/rules.py `current_reply`). `status_notes` is the result text
    once resolved or closed, else that reply, else the public words for the state, masked here."""
    closed = ticket.status in CLOSED
    updated = ticket.closed_at or ticket.cancelled_at or ticket.resolved_at if closed else ticket.updated_at
    item = ITEM_BY_CODE.get(service_code_of(ticket))
    if integration:
        # What an integration sees of any ticket it does not handle, as on /api/v1/tickets: the contact,
        # names and door numbers masked, coordinates to ~100 m; and the photo.
        masked = masked_contact(ticket)
        description, address = masked["description"], masked["location_address"]
        latitude, longitude = masked["latitude"], masked["longitude"]
        # The photo given at intake, unless the resident allowed an attachment's public copy.
        media_url = public_media_url(public_media or [], ticket.media_urls or [], integration=True)
    else:
        names = ticket_names(ticket)
        description = masked_description(ticket.description, names)
        # The road or community, never the door; else the station's community (where the matter is).
        address = coarsen_address(ticket.location_address)
        if address is None and station is not None:
            address = station.community_name
        address = mask_text(address, names) if address is not None else None
        latitude, longitude = coarsen_coordinate(ticket.latitude), coarsen_coordinate(ticket.longitude)
        # A photo may show a face, a door, a plate: only an attachment's public-safe copy the resident allowed.
        media_url = public_media_url(public_media or [], ticket.media_urls or [], integration=False)
    return {
        "service_request_id": str(ticket.id),
        "status": "closed" if closed else "open",
        "status_notes": status_notes(
            ticket.status,
            result_text=masked_text(ticket.result_text, ticket_names(ticket)),
            reply=masked_text(reply, ticket_names(ticket)),
        ),
        "service_name": item.name if item else ticket.service_category,
        "service_code": service_code_of(ticket),
        "description": description[:4000],
        "agency_responsible": station.name if station is not None else None,
        "service_notice": None,
        "requested_datetime": _datetime(ticket.created_at),
        "updated_datetime": _datetime(updated or ticket.updated_at),
        "expected_datetime": _datetime(ticket.resolution_due_at) if not closed else None,
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": latitude,
        "long": longitude,
        "media_url": media_url,
    }


async def _current_replies(session: AsyncSession, tickets: list[Ticket]) -> dict[uuid.UUID, str]:
    """Each ticket's latest public reply while no state change came after it (two queries)."""
    latest = await replies.latest_replies(session, [ticket.id for ticket in tickets])
    changed = await replies.last_state_changes(session, list(latest))
    current = {
        ticket_id: current_reply(Reply(message.text, message.created_at), changed.get(ticket_id))
        for ticket_id, message in latest.items()
    }
    return {ticket_id: reply.text for ticket_id, reply in current.items() if reply is not None}


async def _views(
    session: AsyncSession, tickets: list[Ticket], integration: bool, base_url: str = ""
) -> list[dict[str, Any]]:
    station_ids = {ticket.station_id for ticket in tickets}
    by_id = await queries.stations_by_ids(session, station_ids)
    current = await _current_replies(session, tickets)
    media = await attachments.public_media(session, base_url, [ticket.id for ticket in tickets])
    return [
        request_view(
            ticket,
            by_id.get(ticket.station_id),
            integration=integration,
            reply=current.get(ticket.id),
            public_media=[url for _, url in media.get(ticket.id, [])],
        )
        for ticket in tickets
    ]


async def _is_integration(session: AsyncSession, params: dict[str, str]) -> bool:
    """Whether the reader sent a valid api_key; a wrong one is refused rather than read as anonymous."""
    if "api_key" not in params:
        return False
    if await find_active(session, params["api_key"]) is None:
        raise Open311Error(403, "api_key is not valid.")
    return True


def _whole_number(params: dict[str, str], name: str, default: int, high: int) -> int:
    if name not in params:
        return default
    try:
        value = int(params[name])
    except ValueError:
        raise Open311Error(400, f"{name} must be a whole number.") from None
    if not 1 <= value <= high:
        limit = f" ({INTEGRATION_MAX_PAGE_SIZE} with an api_key)" if high == PUBLIC_MAX_PAGE_SIZE else ""
        raise Open311Error(400, f"{name} must be between 1 and {high}{limit}.")
    return value


def _parse_datetime(value: str, name: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C datetime, e.g. 2026-01-01T00:00:00Z.") from None
    if parsed.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone, e.g. 2026-01-01T00:00:00+08:00.")
    return parsed


def _window(
    params: dict[str, str], first: str, last: str, now: datetime, *, required: bool
) -> tuple[datetime, datetime] | None:
    """A query's time window, at most 90 days: `first` alone reaches 90 days on, `last` alone 90 back,
    neither the most recent 90 days (or no window when not `required`)."""
    start = _parse_datetime(params[first], first) if first in params else None
    end = _parse_datetime(params[last], last) if last in params else None
    if start is None and end is None:
        if not required:
            return None
        start, end = now - DEFAULT_WINDOW, now
    elif start is None:
        assert end is not None
        start = end - DEFAULT_WINDOW
    elif end is None:
        end = start + DEFAULT_WINDOW
    elif end - start > DEFAULT_WINDOW:
        raise Open311Error(400, f"{first} and {last} may not span more than 90 days.")
    if end < start:
        raise Open311Error(400, f"{last} is before {first}.")
    return start, end


def _request_filters(params: dict[str, str], now: datetime) -> queries.RequestFilters:
    """`GET requests`' query as filters: ids, or service codes, the time windows and open/closed."""
    if "service_request_id" in params:
        ids = []
        for part in params["service_request_id"].split(","):
            try:
                ids.append(uuid.UUID(part.strip()))
            except ValueError:
                raise Open311Error(400, f"service_request_id {part.strip()!r} is not a request id.") from None
        return queries.RequestFilters(ids=ids)
    codes = None
    if "service_code" in params:
        codes = [code.strip() for code in params["service_code"].split(",") if code.strip()]
        unknown = [code for code in codes if code not in ITEM_BY_CODE]
        if unknown:
            raise Open311Error(404, f"service_code {unknown[0]} not found.")
    by_update = "updated_after" in params or "updated_before" in params
    created = _window(params, "start_date", "end_date", now, required=not by_update)
    updated = _window(params, "updated_after", "updated_before", now, required=False)
    statuses_in = statuses_not_in = None
    if "status" in params:
        wanted = {part.strip() for part in params["status"].split(",") if part.strip()}
        if not wanted <= {"open", "closed"}:
            raise Open311Error(400, "status is open, closed, or both comma separated.")
        if wanted == {"open"}:
            statuses_not_in = CLOSED
        elif wanted == {"closed"}:
            statuses_in = CLOSED
    return queries.RequestFilters(
        service_codes=codes,
        created=created,
        updated=updated,
        statuses_in=statuses_in,
        statuses_not_in=statuses_not_in,
    )


@router.get("/requests.{fmt}", summary="Service requests (tickets)", openapi_extra={"parameters": REQUESTS_QUERY})
async def get_requests(fmt: str, request: Request, session: SessionDep, now: Now) -> Response:
    async def work(fmt: str) -> Response:
        params = _params(request)
        integration = await _is_integration(session, params)
        largest = INTEGRATION_MAX_PAGE_SIZE if integration else PUBLIC_MAX_PAGE_SIZE
        page_size = _whole_number(params, "page_size", DEFAULT_PAGE_SIZE, largest)
        page = _whole_number(params, "page", 1, MAX_PAGE)
        filters = _request_filters(params, now)
        tickets = await queries.service_requests(session, filters, limit=page_size, offset=(page - 1) * page_size)
        return render(
            fmt,
            await _views(session, tickets, integration, request.app.state.runtime.settings.public_base_url),
            "service_requests",
            "request",
        )

    return await _answer(request, fmt, session, work)


@router.get(
    "/requests/{service_request_id}.{fmt}",
    summary="One service request",
    openapi_extra={"parameters": [JURISDICTION, API_KEY]},
)
async def get_request(service_request_id: str, fmt: str, request: Request, session: SessionDep) -> Response:
    async def work(fmt: str) -> Response:
        try:
            ticket_id = uuid.UUID(service_request_id)
        except ValueError:
            raise Open311Error(404, f"service_request_id {service_request_id} not found.") from None
        integration = await _is_integration(session, _params(request))
        ticket = await queries.get_ticket(session, ticket_id)
        if ticket is None:
            raise Open311Error(404, f"service_request_id {service_request_id} not found.")
        return render(
            fmt,
            await _views(session, [ticket], integration, request.app.state.runtime.settings.public_base_url),
            "service_requests",
            "request",
        )

    return await _answer(request, fmt, session, work)


def update_view(update: Any, ticket: Ticket, media: list[tuple[datetime, str]] | None = None) -> dict[str, Any]:
    """One update of a ticket as FixMyStreet's `request_update` (a row of `replies.public_updates`): a state
    change shows the public words of the new state, its result text (masked) when it resolved; a public
    reply shows its words, masked as the description is. No actor, no note (those are the staff's)."""
    text = masked_text(update.text, ticket_names(ticket))
    state = update.state or ""
    if update.kind == "reply":
        description = text or ""
    else:
        description = public_state_text(state, text if state == "resolved" else None)
    return {
        "update_id": str(update.id),
        "service_request_id": str(ticket.id),
        "status": "closed" if state in CLOSED else "open",
        "updated_datetime": _datetime(update.at),
        "description": description[:4000],
        "media_url": media_at(media or [], update.at),  # a public-safe copy the resident allowed, or empty
    }


@router.get(
    "/servicerequestupdates.{fmt}",
    summary="Updates of service requests (FixMyStreet's GeoReport v2 extension)",
    description="Each change of a request's state, oldest first, within a window of at most 90 days "
    "(start_date/end_date as on requests). " + PAGING_NOTE,
    openapi_extra={"parameters": UPDATES_QUERY},
)
async def get_updates(fmt: str, request: Request, session: SessionDep, now: Now) -> Response:
    async def work(fmt: str) -> Response:
        params = _params(request)
        integration = await _is_integration(session, params)
        largest = INTEGRATION_MAX_PAGE_SIZE if integration else PUBLIC_MAX_PAGE_SIZE
        page_size = _whole_number(params, "page_size", DEFAULT_PAGE_SIZE, largest)
        page = _whole_number(params, "page", 1, MAX_PAGE)
        window = _window(params, "start_date", "end_date", now, required=True)
        assert window is not None
        # State changes after the request was made, and public replies (never a note), in time order.
        rows = await queries.public_updates(
            session, window[0], window[1], limit=page_size, offset=(page - 1) * page_size
        )
        ticket_ids = {row.ticket_id for row in rows}
        by_id = await queries.tickets_by_ids(session, ticket_ids)
        base_url = request.app.state.runtime.settings.public_base_url
        media = await attachments.public_media(session, base_url, list(ticket_ids))
        updates = [update_view(row, by_id[row.ticket_id], media.get(row.ticket_id)) for row in rows]
        return render(fmt, updates, "service_request_updates", "request_update")

    return await _answer(request, fmt, session, work)


@router.get(
    "/tokens/{token}.{fmt}",
    summary="The request id for a POST's token",
    openapi_extra={"parameters": [JURISDICTION]},
)
async def get_token(token: str, fmt: str, request: Request, session: SessionDep) -> Response:
    async def work(fmt: str) -> Response:
        ticket = await queries.ticket_by_token(session, token) if token else None
        if ticket is None:
            raise Open311Error(404, f"token {token} not found.")
        data = [{"service_request_id": str(ticket.id), "token": token}]
        return render(fmt, data, "service_requests", "request")

    return await _answer(request, fmt, session, work)


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _station_distance_km(lat: float, lon: float, station: StationCopy) -> float:
    # Only located stations (both coordinates set) are measured.
    assert station.latitude is not None and station.longitude is not None
    return _distance_km(lat, lon, station.latitude, station.longitude)


def _number(form: dict[str, str], name: str, low: float, high: float) -> float | None:
    if name not in form:
        return None
    try:
        value = float(form[name])
    except ValueError:
        raise Open311Error(400, f"{name} must be a number.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise Open311Error(400, f"{name} is out of range.")
    return value


async def _station_for(
    session: AsyncSession, form: dict[str, str], lat: float | None, lon: float | None
) -> StationCopy:
    if "attribute[station_id]" in form:
        try:
            station = await stations.get_station(session, uuid.UUID(form["attribute[station_id]"]))
        except ValueError:
            station = None
        if station is None:
            raise Open311Error(400, "attribute[station_id] is not a station of this district.")
        return station
    if lat is None or lon is None:
        raise Open311Error(400, "Give lat and long (or attribute[station_id]) so the request reaches a station.")
    located = await stations.all_located_stations(session)
    if not located:
        raise Open311Error(400, "No station is known near this location.")
    nearest = min(located, key=lambda station: _station_distance_km(lat, lon, station))
    if _station_distance_km(lat, lon, nearest) > NEAREST_STATION_KM:
        raise Open311Error(400, "The location is not near any station of this district.")
    return nearest


@router.post(
    "/requests.{fmt}",
    summary="Create a service request (form fields; needs api_key)",
    openapi_extra={"requestBody": POST_REQUEST_BODY},
    dependencies=[idempotent(caller=open311_caller)],
)
async def post_request(fmt: str, request: Request, session: SessionDep, now: Now) -> Response:
    async def work(fmt: str) -> Response:
        raw = await request.form()
        form = {key: value.strip() for key, value in raw.items() if isinstance(value, str) and value.strip()}
        key = await find_active(session, form.get("api_key", ""))
        if key is None:
            raise Open311Error(403, "api_key was not provided or is not valid.")
        code = form.get("service_code")
        if code is None:
            raise Open311Error(400, "service_code was not provided.")
        item = ITEM_BY_CODE.get(code)
        if item is None:
            raise Open311Error(404, f"service_code {code} not found.")
        lat = _number(form, "lat", -90, 90)
        lon = _number(form, "long", -180, 180)
        if (lat is None) != (lon is None):
            raise Open311Error(400, "Give lat and long together.")
        if lat is None and "address_string" not in form and "address_id" not in form:
            raise Open311Error(400, "A location is required: lat and long, address_string or address_id.")
        station = await _station_for(session, form, lat, lon)
        channel = form.get("attribute[channel]", "web")
        if channel not in ("web", "app"):
            raise Open311Error(400, "attribute[channel] is web or app.")
        name = " ".join(part for part in (form.get("first_name"), form.get("last_name")) if part) or None
        phone = form.get("phone")
        description = form.get("description") or item.name
        contact = [part for part in (name if not phone else None, form.get("email")) if part]
        if contact:
            description = f"{description}\n{CONTACT_LABEL}{CONTACT_SEPARATOR.join(contact)}"
        try:
            data = TicketCreate(
                station_id=station.id,
                channel=Channel(channel),
                service_item=item.code,
                description=description[:4000],
                resident_name=name if phone else None,
                resident_phone=phone if name else None,
                # No resident_id: `account_id` is an account of the integrating system, and an integration
                # never files in a resident's name here (tickets/service.py); the contact it gave stays.
                location=Location(address=form.get("address_string"), latitude=lat, longitude=lon),
                media_urls=[form["media_url"]] if "media_url" in form else [],
            )
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(part) for part in first.get("loc", ()))
            field = {"resident_phone": "phone", "media_urls.0": "media_url", "resident_name": "first_name"}.get(
                field, field
            )
            raise Open311Error(400, f"{field}: {first.get('msg', 'invalid')}") from None
        principal = Principal(user_id=key.client_id, roles=frozenset({Role.integration_client.value}))
        try:
            ticket = await service.create_ticket(session, data, principal, now, await sla_policy(request))
        except Problem as problem:
            raise Open311Error(403 if problem.status == 403 else 400, problem.detail) from None
        answer = [
            {
                "service_request_id": str(ticket.id),
                "token": ticket.open311_token,
                "service_notice": await service.notice(session, ticket, now) or "",
                "account_id": ticket.resident_id,
            }
        ]
        return render(fmt, answer, "service_requests", "request")

    return await _answer(request, fmt, session, work)
