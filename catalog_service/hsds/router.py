"""HSDS 3.1 read API under /hsds: the spec's paging envelope, filters and `format=ndjson`. Public."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.hsds import mapping, repository
from catalog_service.hsds.mapping import OrganizationRef, ServiceRef
from catalog_service.service_lists.categories import STANDARD_CATEGORIES
from catalog_service.service_lists.models import OptionalItem
from catalog_service.stations.snapshot import StationPoint, StationSnapshot, station_snapshot
from shared.errors import NotFound, Unprocessable
from shared.localtime import as_local
from shared.service import SessionDep

router = APIRouter(prefix="/hsds", tags=["HSDS 3.1"])

Page = Annotated[int, Query(ge=1, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=500, description="Results per page")]
Search = Annotated[str | None, Query(max_length=100, description="Full text search")]
Format = Annotated[str | None, Query(pattern="^(json|ndjson)$", description="ndjson: every result, one per line")]
# The paged lists answer `format=ndjson` with one JSON object per line instead of the paging envelope.
PAGED: dict[int | str, dict[str, Any]] = {200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}}


def _modified_after(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise Unprocessable("Use an ISO 8601 date-time.", field="modified_after", code="invalid_datetime") from error
    return as_local(instant)


def _respond(
    items: list[Any] | Iterable[Any],
    total: int,
    page: int,
    per_page: int,
    fmt: str | None,
    render: Callable[[Any], dict[str, Any]],
) -> Any:
    if fmt == "ndjson":

        def lines() -> Iterator[bytes]:
            for item in items:
                yield (json.dumps(render(item), ensure_ascii=False) + "\n").encode()

        return StreamingResponse(lines(), media_type="application/x-ndjson")
    contents = [render(item) for item in items]
    pages = math.ceil(total / per_page) if total else 0
    return JSONResponse(
        {
            "total_items": total,
            "total_pages": pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page >= pages,
            "empty": len(contents) == 0,
            "contents": contents,
        }
    )


def _window(page: int, per_page: int, fmt: str | None) -> tuple[int, int | None]:
    if fmt == "ndjson":
        return 0, None
    return (page - 1) * per_page, per_page


def _category_filter(taxonomy_term_id: str | None, taxonomy_id: str | None) -> set[str] | None:
    """The category codes allowed by the taxonomy filters; None = all."""
    codes: set[str] | None = None
    if taxonomy_id is not None and taxonomy_id != str(mapping.TAXONOMY_ID):
        return set()
    if taxonomy_term_id is not None:
        code = mapping.TERM_CODES.get(taxonomy_term_id)
        codes = {code} if code else set()
    return codes


async def _organizations(session: AsyncSession) -> list[OrganizationRef]:
    orgs = [mapping.district_org()]
    for row in await repository.subdistricts(session):
        orgs.append(
            OrganizationRef(
                row.id,
                row.name,
                f"{row.name}：{'街道' if row.kind == 'street' else '镇'}，管理本街镇的村居家门口服务站。",
                "subdistrict",
                mapping.DISTRICT_ORG_ID,
                tuple(c.code for c in STANDARD_CATEGORIES),
            )
        )
    for department in await repository.departments(session):
        orgs.append(
            OrganizationRef(
                department.id,
                department.name,
                f"职能部门（{department.kind}）",
                "department",
                department.subdistrict_id or mapping.DISTRICT_ORG_ID,
                tuple(department.service_categories),
                department.phone,
            )
        )
    return orgs


def _optional_ref(item: OptionalItem, subdistrict_id: uuid.UUID) -> ServiceRef:
    return ServiceRef(
        id=item.id,
        name=item.title,
        description=item.description or item.title,
        category=item.category,
        organization_id=subdistrict_id,
        modified=item.updated_at,
        station_id=item.station_id,
        schedule=item.schedule,
        capacity=item.capacity,
    )


async def _optional_services(
    session: AsyncSession,
    snapshot: StationSnapshot,
    *,
    codes: set[str] | None = None,
    modified_after: datetime | None = None,
    station_ids: set[uuid.UUID] | None = None,
) -> list[ServiceRef]:
    refs = []
    for item in await repository.optional_items(session, codes=codes, modified_after=modified_after):
        point = snapshot.by_id.get(item.station_id)
        if point is None or (station_ids is not None and item.station_id not in station_ids):
            continue
        refs.append(_optional_ref(item, point.subdistrict_id))
    return refs


@router.get("", summary="About this HSDS API")
@router.get("/", include_in_schema=False)
async def about(request: Request) -> dict[str, str]:
    # The configured public name, never the request's Host header (any caller sets that).
    base = request.app.state.runtime.settings.public_base_url.rstrip("/") + "/"
    return {"version": mapping.HSDS_VERSION, "profile": f"{base}hsds/profile", "openapi_url": f"{base}openapi.json"}


# -- services ---------------------------------------------------------------------------------------


@router.get("/services", summary="Services (standard and optional items), paged", responses=PAGED)
async def services(
    session: SessionDep,
    search: Search = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: str | None = None,
    page: Page = 1,
    per_page: PerPage = 50,
    format: Format = None,
) -> Any:
    codes = _category_filter(taxonomy_term_id, taxonomy_id)
    after = _modified_after(modified_after)
    snapshot = await station_snapshot(session)
    standard = [s for s in mapping.STANDARD_SERVICES if codes is None or s.category in codes]
    if after is not None:
        standard = [s for s in standard if s.modified >= after]
    station_ids = None
    if organization_id is not None:
        if organization_id != str(mapping.DISTRICT_ORG_ID):
            standard = []
        station_ids = {p.id for p in snapshot.points if str(p.subdistrict_id) == organization_id}
    optional = await _optional_services(session, snapshot, codes=codes, modified_after=after, station_ids=station_ids)
    found = standard + optional
    if search:
        needle = search.strip().lower()
        found = [s for s in found if needle in s.text()]
    start, count = _window(page, per_page, format)
    chosen = found[start : start + count] if count is not None else found
    return _respond(chosen, len(found), page, per_page, format, mapping.service_basic)


@router.get("/services/{service_id}", summary="One service, fully nested")
async def service(service_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    snapshot = await station_snapshot(session)
    orgs = {org.id: org for org in await _organizations(session)}
    ref = mapping.STANDARD_BY_ID.get(service_id)
    if ref is not None:
        return mapping.service_full(ref, orgs[mapping.DISTRICT_ORG_ID], snapshot.points)
    item = await repository.get_optional_item(session, service_id)
    if item is None or item.station_id not in snapshot.by_id:
        raise NotFound("No such service.", code="service_not_found")
    point = snapshot.by_id[item.station_id]
    return mapping.service_full(_optional_ref(item, point.subdistrict_id), orgs[point.subdistrict_id], [point])


# -- organizations ----------------------------------------------------------------------------------


@router.get("/organizations", summary="Organizations: the district, subdistricts, departments", responses=PAGED)
async def organizations(
    session: SessionDep,
    search: Search = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    page: Page = 1,
    per_page: PerPage = 50,
    format: Format = None,
) -> Any:
    codes = _category_filter(taxonomy_term_id, taxonomy_id)
    found = await _organizations(session)
    if codes is not None:
        found = [org for org in found if codes & set(org.categories)]
    if search:
        needle = search.strip().lower()
        found = [org for org in found if needle in f"{org.name} {org.description}".lower()]
    start, count = _window(page, per_page, format)
    chosen = found[start : start + count] if count is not None else found
    return _respond(chosen, len(found), page, per_page, format, mapping.organization_basic)


@router.get("/organizations/{organization_id}", summary="One organization, with its services and locations")
async def organization(organization_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    orgs = {org.id: org for org in await _organizations(session)}
    org = orgs.get(organization_id)
    if org is None:
        raise NotFound("No such organization.", code="organization_not_found")
    snapshot = await station_snapshot(session)
    services: list[ServiceRef] = []
    locations: list[StationPoint] = []
    if org.kind == "district":
        services = list(mapping.STANDARD_SERVICES)
    elif org.kind == "subdistrict":
        locations = [p for p in snapshot.points if p.subdistrict_id == org.id]
        services = await _optional_services(session, snapshot, station_ids={p.id for p in locations})
    return mapping.organization_full(org, services, locations)


# -- services at locations ------------------------------------------------------------------------------


@router.get("/service_at_locations", summary="Services at stations, paged", responses=PAGED)
async def service_at_locations(
    session: SessionDep,
    search: Search = None,
    taxonomy_term_id: str | None = None,
    taxonomy_id: str | None = None,
    organization_id: str | None = None,
    modified_after: str | None = None,
    page: Page = 1,
    per_page: PerPage = 50,
    format: Format = None,
) -> Any:
    codes = _category_filter(taxonomy_term_id, taxonomy_id)
    after = _modified_after(modified_after)
    snapshot = await station_snapshot(session)
    standard = [s for s in mapping.STANDARD_SERVICES if codes is None or s.category in codes]
    points = snapshot.points
    include_standard = True
    include_optional = True
    if organization_id is not None:
        if organization_id == str(mapping.DISTRICT_ORG_ID):
            include_optional = False
        else:
            points = [p for p in points if str(p.subdistrict_id) == organization_id]
    optional_by_station: dict[uuid.UUID, list[ServiceRef]] = {}
    if include_optional:
        for ref in await _optional_services(session, snapshot, codes=codes):
            assert ref.station_id is not None
            optional_by_station.setdefault(ref.station_id, []).append(ref)
    needle = search.strip().lower() if search else None
    standard_matching = [s for s in standard if needle is None or needle in s.text()]

    def station_entries(point: StationPoint) -> list[ServiceRef]:
        station_matches = needle is not None and needle in f"{point.name} {point.address}".lower()
        entries: list[ServiceRef] = []
        if include_standard and (after is None or max(point.updated_at, mapping.STANDARD_MODIFIED) >= after):
            entries += standard if station_matches else standard_matching
        for ref in optional_by_station.get(point.id, []):
            if after is not None and max(point.updated_at, ref.modified) < after:
                continue
            if needle is None or station_matches or needle in ref.text():
                entries.append(ref)
        return entries

    per_station = [(point, station_entries(point)) for point in points]
    total = sum(len(entries) for _, entries in per_station)
    start, count = _window(page, per_page, format)

    def chosen() -> Iterator[tuple[ServiceRef, StationPoint]]:
        position = 0
        for point, entries in per_station:
            if count is not None and position + len(entries) <= start:
                position += len(entries)
                continue
            for ref in entries:
                if count is not None and not start <= position < start + count:
                    position += 1
                    continue
                position += 1
                yield ref, point
            if count is not None and position >= start + count:
                return

    return _respond(list(chosen()), total, page, per_page, format, lambda pair: mapping.sal_basic(*pair))


@router.get("/service_at_locations/{sal_id}", summary="One service at a station, fully nested")
async def service_at_location(sal_id: uuid.UUID, session: SessionDep) -> dict[str, Any]:
    snapshot = await station_snapshot(session)
    index = snapshot.sal_index
    if index is None:
        index = {
            mapping.sal_id(ref.id, point.id): (ref, point.id)
            for point in snapshot.points
            for ref in mapping.STANDARD_SERVICES
        }
        snapshot.sal_index = index
    found = index.get(sal_id)
    if found is not None:
        ref, station_id = found
        return mapping.sal_full(ref, snapshot.by_id[station_id])
    for ref in await _optional_services(session, snapshot):
        assert ref.station_id is not None
        if mapping.sal_id(ref.id, ref.station_id) == sal_id:
            return mapping.sal_full(ref, snapshot.by_id[ref.station_id])
    raise NotFound("No such service at location.", code="service_at_location_not_found")


# -- taxonomies ---------------------------------------------------------------------------------------


@router.get("/taxonomies", summary="Taxonomies: the service categories", responses=PAGED)
async def taxonomies(
    search: Search = None,
    page: Page = 1,
    per_page: PerPage = 50,
    format: Format = None,
) -> Any:
    found = [mapping.taxonomy()]
    if search:
        found = [t for t in found if search.strip().lower() in f"{t['name']} {t['description']}".lower()]
    start, count = _window(page, per_page, format)
    chosen = found[start : start + count] if count is not None else found
    return _respond(chosen, len(found), page, per_page, format, lambda item: item)


@router.get("/taxonomies/{taxonomy_id}", summary="One taxonomy")
async def one_taxonomy(taxonomy_id: uuid.UUID) -> dict[str, Any]:
    if taxonomy_id != mapping.TAXONOMY_ID:
        raise NotFound("No such taxonomy.", code="taxonomy_not_found")
    return mapping.taxonomy()


@router.get("/taxonomy_terms", summary="Taxonomy terms: the 7 standard service categories", responses=PAGED)
async def taxonomy_terms(
    search: Search = None,
    taxonomy_id: str | None = None,
    page: Page = 1,
    per_page: PerPage = 50,
    format: Format = None,
) -> Any:
    found = [mapping.taxonomy_term(category.code) for category in STANDARD_CATEGORIES]
    if taxonomy_id is not None and taxonomy_id != str(mapping.TAXONOMY_ID):
        found = []
    if search:
        needle = search.strip().lower()
        found = [t for t in found if needle in f"{t['code']} {t['name']} {t['description']}".lower()]
    start, count = _window(page, per_page, format)
    chosen = found[start : start + count] if count is not None else found
    return _respond(chosen, len(found), page, per_page, format, lambda item: item)


@router.get("/taxonomy_terms/{term_id}", summary="One taxonomy term")
async def taxonomy_term(term_id: uuid.UUID) -> dict[str, Any]:
    code = mapping.TERM_CODES.get(str(term_id))
    if code is None:
        raise NotFound("No such taxonomy term.", code="taxonomy_term_not_found")
    return mapping.taxonomy_term(code)
