"""The duty rota API: patterns, overrides, swaps, leave, and who is on duty (with who is next)."""

from __future__ import annotations

import uuid

from tests.conftest import bearer
from tests.ticket.conftest import add_reception_rota, local, open_station


async def _on_duty(http, station, at, role="reception"):
    response = await http.get(
        f"/api/v1/duty-rota/{station.id}/on-duty",
        headers=station.headers("receptionist"),
        params={"at": at.isoformat(), "role": role},
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_patterns_answer_who_is_on_duty_until_when_and_who_is_next(http, station):
    await add_reception_rota(http, station)
    answer = await _on_duty(http, station, local(2026, 9, 14, 10, 0))
    assert [person["person_id"] for person in answer["on_duty"]] == [station.receptionist]
    assert answer["on_duty"][0]["name"].startswith("receptionist")
    assert answer["shift_ends_at"] == local(2026, 9, 14, 12, 0).isoformat()
    assert answer["next_start_at"] == local(2026, 9, 14, 13, 0).isoformat()
    assert [person["person_id"] for person in answer["next_on_duty"]] == [station.social_workers[0]]
    assert answer["station_open"] is True


async def test_outside_hours_nobody_is_on_duty_and_the_next_shift_is_named(http, station):
    await add_reception_rota(http, station)
    answer = await _on_duty(http, station, local(2026, 9, 13, 20, 0))  # Sunday evening
    assert answer["on_duty"] == []
    assert answer["station_open"] is False
    assert answer["station_opens_at"] == local(2026, 9, 14, 9, 0).isoformat()
    assert answer["next_start_at"] == local(2026, 9, 14, 9, 0).isoformat()
    assert [person["person_id"] for person in answer["next_on_duty"]] == [station.receptionist]


async def test_an_override_beats_the_pattern_and_leave_removes_a_person(http, station):
    await add_reception_rota(http, station)
    secretary = station.headers("secretary")
    override = await http.post(
        f"/api/v1/duty-rota/{station.id}/shifts",
        headers=secretary,
        json={
            "person_id": station.social_workers[1],
            "start_at": local(2026, 9, 15, 9, 0).isoformat(),
            "end_at": local(2026, 9, 15, 11, 0).isoformat(),
            "note": "培训替班",
        },
    )
    assert override.status_code == 201, override.text
    during = await _on_duty(http, station, local(2026, 9, 15, 10, 0))
    assert [person["person_id"] for person in during["on_duty"]] == [station.social_workers[1]]
    after = await _on_duty(http, station, local(2026, 9, 15, 11, 30))
    assert [person["person_id"] for person in after["on_duty"]] == [station.receptionist]

    leave = await http.post(
        f"/api/v1/duty-rota/{station.id}/leave",
        headers=secretary,
        json={
            "person_id": station.receptionist,
            "start_at": local(2026, 9, 16, 0, 0).isoformat(),
            "end_at": local(2026, 9, 17, 0, 0).isoformat(),
        },
    )
    assert leave.status_code == 201
    on_leave_day = await _on_duty(http, station, local(2026, 9, 16, 10, 0))
    assert on_leave_day["on_duty"] == []
    assert on_leave_day["next_start_at"] == local(2026, 9, 16, 13, 0).isoformat()


async def test_a_swap_hands_a_days_shift_to_another_person(http, station):
    await add_reception_rota(http, station)
    swap = await http.post(
        f"/api/v1/duty-rota/{station.id}/swaps",
        headers=station.headers("secretary"),
        json={
            "on_date": "2026-09-18",
            "from_person_id": station.receptionist,
            "to_person_id": station.social_workers[2],
        },
    )
    assert swap.status_code == 201, swap.text
    swapped = await _on_duty(http, station, local(2026, 9, 18, 10, 0))
    assert [person["person_id"] for person in swapped["on_duty"]] == [station.social_workers[2]]
    other_day = await _on_duty(http, station, local(2026, 9, 17, 10, 0))
    assert [person["person_id"] for person in other_day["on_duty"]] == [station.receptionist]
    again = await http.post(
        f"/api/v1/duty-rota/{station.id}/swaps",
        headers=station.headers("secretary"),
        json={
            "on_date": "2026-09-18",
            "from_person_id": station.receptionist,
            "to_person_id": station.social_workers[1],
        },
    )
    assert again.status_code == 422
    assert again.json()["code"] == "duplicate_swap"


async def test_the_rota_lists_its_entries_and_effective_shifts(http, station):
    await add_reception_rota(http, station)
    rota = await http.get(
        f"/api/v1/duty-rota/{station.id}",
        headers=station.headers("receptionist"),
        params={"from": local(2026, 9, 14, 0, 0).isoformat()},
    )
    assert rota.status_code == 200
    assert len(rota.json()["patterns"]) == 12
    shifts = await http.get(
        f"/api/v1/duty-rota/{station.id}/shifts",
        headers=station.headers("receptionist"),
        params={"from": local(2026, 9, 14, 0, 0).isoformat(), "to": local(2026, 9, 15, 0, 0).isoformat()},
    )
    assert [(shift["person_id"], shift["start_at"]) for shift in shifts.json()["shifts"]] == [
        (station.receptionist, local(2026, 9, 14, 9, 0).isoformat()),
        (station.social_workers[0], local(2026, 9, 14, 13, 0).isoformat()),
    ]


async def test_deleting_an_entry_takes_it_off_the_rota(http, station):
    await add_reception_rota(http, station)
    rota = await http.get(f"/api/v1/duty-rota/{station.id}", headers=station.headers("secretary"))
    monday_morning = next(
        pattern
        for pattern in rota.json()["patterns"]
        if pattern["weekday"] == 0 and pattern["start_time"] == "09:00:00"
    )
    deleted = await http.delete(
        f"/api/v1/duty-rota/{station.id}/patterns/{monday_morning['id']}", headers=station.headers("secretary")
    )
    assert deleted.status_code == 204
    answer = await _on_duty(http, station, local(2026, 9, 14, 10, 0))
    assert answer["on_duty"] == []


async def test_bad_rota_entries_are_422_naming_the_field(http, station, ticket_app):
    secretary = station.headers("secretary")
    await add_reception_rota(http, station)
    overlapping = await http.post(
        f"/api/v1/duty-rota/{station.id}/patterns",
        headers=secretary,
        json={"person_id": station.receptionist, "weekday": 0, "start_time": "11:00", "end_time": "14:00"},
    )
    assert overlapping.status_code == 422
    assert overlapping.json()["code"] == "overlapping_patterns"
    backwards = await http.post(
        f"/api/v1/duty-rota/{station.id}/patterns",
        headers=secretary,
        json={"person_id": station.receptionist, "weekday": 6, "start_time": "14:00", "end_time": "10:00"},
    )
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "end_time"
    stranger = await http.post(
        f"/api/v1/duty-rota/{station.id}/patterns",
        headers=secretary,
        json={"person_id": str(uuid.uuid4()), "weekday": 6, "start_time": "09:00", "end_time": "10:00"},
    )
    assert stranger.status_code == 422
    assert stranger.json() | {"field": "person_id", "code": "unknown_person"} == stranger.json()
    other = await open_station(ticket_app, name="滨江居委会")
    elsewhere = await http.post(
        f"/api/v1/duty-rota/{station.id}/patterns",
        headers=secretary,
        json={"person_id": other.receptionist, "weekday": 6, "start_time": "09:00", "end_time": "10:00"},
    )
    assert elsewhere.json()["code"] == "person_not_at_station"
    naive = await http.post(
        f"/api/v1/duty-rota/{station.id}/shifts",
        headers=secretary,
        json={"person_id": station.receptionist, "start_at": "2026-09-20T09:00:00", "end_at": "2026-09-20T10:00:00"},
    )
    assert naive.status_code == 422
    assert naive.json()["field"] == "start_at"


async def test_only_the_secretary_or_admins_keep_the_rota_and_strangers_see_nothing(http, station):
    body = {"person_id": station.receptionist, "weekday": 6, "start_time": "09:00", "end_time": "10:00"}
    worker = await http.post(
        f"/api/v1/duty-rota/{station.id}/patterns", headers=station.headers("social_worker"), json=body
    )
    assert worker.status_code == 403
    stranger = bearer("receptionist", station_id=str(uuid.uuid4()))
    assert (await http.get(f"/api/v1/duty-rota/{station.id}/on-duty", headers=stranger)).status_code == 403
    missing = await http.get(f"/api/v1/duty-rota/{uuid.uuid4()}/on-duty", headers=bearer("district_admin"))
    assert missing.status_code == 404
    admin = await http.post(f"/api/v1/duty-rota/{station.id}/patterns", headers=bearer("district_admin"), json=body)
    assert admin.status_code == 201
