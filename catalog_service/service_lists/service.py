"""Use cases for the service list: standard items (fixed) and each station's optional items. Never commit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from catalog_service.service_lists import repository
from catalog_service.service_lists.categories import STANDARD_CATEGORIES, check_category, standard_item_id
from catalog_service.service_lists.models import OptionalItem
from catalog_service.service_lists.schemas import (
    ItemSchedule,
    OptionalItemCreate,
    OptionalItemRead,
    OptionalItemUpdate,
    ServiceListCategory,
    ServiceListRead,
    StandardItemRead,
)
from catalog_service.stations.hours import parse_calendar
from catalog_service.stations.models import Station
from shared.errors import NotFound, Unprocessable
from shared.ids import new_id
from shared.pagination import PageParameters
from shared.sync import ChangesToken, Listing


def schedule_data(schedule: ItemSchedule | None) -> dict[str, Any] | None:
    if schedule is None:
        return None
    data = {"time_zone": "Asia/Shanghai", **schedule.model_dump(mode="json")}
    return parse_calendar(data, field="schedule").to_dict()


async def add_optional_item(session: AsyncSession, station: Station, data: OptionalItemCreate) -> OptionalItem:
    item = OptionalItem(
        id=new_id(),
        station_id=station.id,
        category=check_category(data.category),
        title=data.title,
        description=data.description,
        schedule=schedule_data(data.schedule),
        schedule_note=data.schedule_note,
        capacity=data.capacity,
    )
    await repository.add(session, item)
    return item


async def get_optional_item(session: AsyncSession, item_id: uuid.UUID) -> OptionalItem:
    item = await repository.get_optional_item(session, item_id)
    if item is None:
        raise NotFound("No such optional item.", code="optional_item_not_found")
    return item


async def update_optional_item(session: AsyncSession, item: OptionalItem, data: OptionalItemUpdate) -> OptionalItem:
    changes = data.model_dump(exclude_unset=True)
    for field in ("category", "title", "description"):
        if field in changes and changes[field] is None:
            raise Unprocessable(f"{field} cannot be emptied.", field=field, code="required")
    if "category" in changes:
        check_category(changes["category"])
    if "schedule" in changes:
        changes["schedule"] = schedule_data(data.schedule)
    for field, value in changes.items():
        setattr(item, field, value)
    await session.flush()
    return item


async def delete_optional_item(session: AsyncSession, item: OptionalItem) -> None:
    await repository.delete(session, item)


async def page_optional_items(
    session: AsyncSession,
    parameters: PageParameters,
    station_id: uuid.UUID | None,
    category: str | None,
    changes: ChangesToken | None = None,
) -> Listing:
    checked = check_category(category) if category is not None else None
    return await repository.page_optional_items(session, parameters, station_id, checked, changes)


async def optional_items_of(session: AsyncSession, station_id: uuid.UUID) -> list[OptionalItem]:
    return await repository.optional_items_of(session, station_id)


async def service_list(session: AsyncSession, station: Station) -> ServiceListRead:
    optional = await optional_items_of(session, station.id)
    return ServiceListRead(
        station_id=station.id,
        station_name=station.name,
        categories=[
            ServiceListCategory(
                code=category.code,
                name=category.name,
                standard_items=[
                    StandardItemRead(id=standard_item_id(category.code, name), code=code, name=name)
                    for code, name in category.items
                ],
                optional_items=[
                    OptionalItemRead.model_validate(item) for item in optional if item.category == category.code
                ],
            )
            for category in STANDARD_CATEGORIES
        ],
    )
