"""Local copies of stations, staff and departments from the catalogue's events."""

from __future__ import annotations

import uuid
from datetime import timedelta

from shared.ids import stable_id, utcnow
from tests.conftest import bearer
from tests.ticket.conftest import OPENING_HOURS, local, publish
from ticket_service.stations.calendars import calendar_for
from ticket_service.stations.models import DepartmentCopy, StaffCopy, StationCopy


async def _get(app, model, key):
    async with app.state.runtime.database.sessionmaker() as session:
        return await session.get(model, key)


async def test_a_full_station_event_is_copied_with_its_calendar(ticket_app):
    station_id = uuid.uuid4()
    await publish(
        ticket_app,
        "station.created",
        {
            "id": str(station_id),
            "name": "界村家门口服务站",
            "subdistrict_id": str(uuid.uuid4()),
            "subdistrict_name": "周浦镇",
            "community_id": str(uuid.uuid4()),
            "community_name": "界村",
            "address": "周浦镇 界村村委会",
            "latitude": 31.1005,
            "longitude": 121.575,
            "phone": "021-58880005",
            "opening_hours": OPENING_HOURS,
            "time_zone": "Asia/Shanghai",
        },
    )
    copy = await _get(ticket_app, StationCopy, station_id)
    assert (copy.name, copy.community_name, copy.phone, copy.latitude) == (
        "界村家门口服务站",
        "界村",
        "021-58880005",
        31.1005,
    )
    calendar = calendar_for(copy)
    assert calendar.is_open(local(2026, 9, 14, 9, 30))
    assert not calendar.is_open(local(2026, 9, 14, 12, 30))
    assert not calendar.is_open(local(2026, 10, 1, 10, 0))  # the holiday exception


async def test_an_older_catalogues_station_event_is_tolerated(ticket_app, http):
    station_id = uuid.uuid4()
    await publish(
        ticket_app,
        "station.created",
        {"id": str(station_id), "subdistrict_id": str(uuid.uuid4()), "community_name": "滨江居委会", "name": "滨江站"},
    )
    copy = await _get(ticket_app, StationCopy, station_id)
    assert copy.community_id is None and copy.opening_hours is None
    # Default hours 08:30-20:00 every day.
    assert calendar_for(copy).is_open(local(2026, 9, 13, 19, 59))
    # With the subdistrict's name, the community id is derived the catalogue's way.
    await publish(
        ticket_app,
        "station.updated",
        {
            "id": str(station_id),
            "subdistrict_name": "陆家嘴街道",
            "community_name": "滨江居委会",
            "opening_hours": "bad",
        },
    )
    copy = await _get(ticket_app, StationCopy, station_id)
    assert copy.community_id == stable_id("community", "陆家嘴街道", "滨江居委会")
    assert copy.name == "滨江站" and copy.opening_hours is None
    assert ticket_app.state.runtime.bus.dead_letters("ticket") == []


async def test_a_late_older_event_does_not_undo_a_newer_one(ticket_app):
    station_id, subdistrict = str(uuid.uuid4()), str(uuid.uuid4())
    now = utcnow()
    base = {"id": station_id, "subdistrict_id": subdistrict, "community_name": "张桥"}
    await publish(ticket_app, "station.updated", {**base, "name": "new name"}, time=now)
    await publish(ticket_app, "station.created", {**base, "name": "old name"}, time=now - timedelta(minutes=5))
    assert (await _get(ticket_app, StationCopy, uuid.UUID(station_id))).name == "new name"


async def test_an_unusable_event_goes_to_the_dead_letters(ticket_app):
    await publish(ticket_app, "station.created", {"id": "not-a-uuid", "community_name": "x"})
    assert len(ticket_app.state.runtime.bus.dead_letters("ticket")) == 1


async def test_staff_are_copied_updated_and_removed(ticket_app, station, http):
    person = str(uuid.uuid4())
    await publish(
        ticket_app,
        "staff.created",
        {
            "id": person,
            "name": "陆伟",
            "role": "social_worker",
            "station_id": station.id,
            "service_categories": ["legal"],
        },
    )
    copy = await _get(ticket_app, StaffCopy, person)
    assert (copy.role, str(copy.station_id), copy.service_categories, copy.active) == (
        "social_worker",
        station.id,
        ["legal"],
        True,
    )
    await publish(ticket_app, "staff.updated", {"id": person, "service_categories": ["legal", "health"]})
    assert (await _get(ticket_app, StaffCopy, person)).service_categories == ["legal", "health"]
    await publish(ticket_app, "staff.removed", {"id": person})
    assert (await _get(ticket_app, StaffCopy, person)).active is False
    # A removed person can no longer be put on the rota.
    response = await http.post(
        f"/api/v1/duty-rota/{station.id}/patterns",
        headers=bearer("district_admin"),
        json={"person_id": person, "weekday": 6, "start_time": "09:00", "end_time": "10:00"},
    )
    assert response.status_code == 422 and response.json()["code"] == "person_inactive"


async def test_departments_are_copied(ticket_app):
    department = uuid.uuid4()
    await publish(
        ticket_app,
        "department.created",
        {
            "id": str(department),
            "name": "区司法局",
            "kind": "justice",
            "subdistrict_id": None,
            "service_categories": ["legal"],
        },
    )
    copy = await _get(ticket_app, DepartmentCopy, department)
    assert (copy.name, copy.kind, copy.subdistrict_id, copy.service_categories) == (
        "区司法局",
        "justice",
        None,
        ["legal"],
    )
