"""If-Match on every PATCH and PUT (issue 13, point 5), on SQLite and on real PostgreSQL: two editors of one
station (catalogue) and of one project (deliberation) read it; the first write wins, the second, based on
the old read, is 412 and changes nothing. And the merged OpenAPI declares If-Match and 412 on every
PATCH/PUT, so a new endpoint cannot forget them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.catalog.fresh import database_url, open_station
from tests.conftest import drop_database
from tests.deliberation.conftest import STATION_ID, Deliberation, staff, start_deliberation

HOURS = {"weekly_periods": [{"weekday": day, "opens": "09:00", "closes": "17:00"} for day in range(5)]}


@pytest.fixture(params=["sqlite", "postgresql"])
async def deliberation(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deliberation]:
    created: list[str] = []
    try:
        url = await database_url(request.param, tmp_path, "deliberation", created)
        async for running_service in start_deliberation(url):
            yield running_service
    finally:
        for name in created:
            await drop_database(name)


def version(etag: str) -> int:
    return int(etag.strip('"').split("-")[0])


def stale(answer: httpx.Response) -> None:
    assert answer.status_code == 412, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == "precondition_failed" and answer.json()["field"] == "If-Match"


async def test_two_editors_of_one_station_the_stale_patch_is_412_and_changes_nothing(catalog_api):
    station, editor_a, editor_b = await open_station(catalog_api)
    path = f"/api/v1/stations/{station['id']}"
    read_a = await catalog_api.get(path, headers=editor_a)
    read_b = await catalog_api.get(path, headers=editor_b)
    etag = read_a.headers["etag"]
    assert etag == read_b.headers["etag"] and etag.startswith('"1-')  # the version, then the digest

    written = await catalog_api.patch(path, headers={**editor_a, "If-Match": etag}, json={"phone": "021-5888 1111"})
    assert written.status_code == 200, written.text
    new_etag = written.headers["etag"]
    assert version(new_etag) > version(etag)
    assert version((await catalog_api.get(path)).headers["etag"]) == version(new_etag)

    stale(await catalog_api.patch(path, headers={**editor_b, "If-Match": etag}, json={"phone": "021-5888 2222"}))
    hours = f"{path}/opening-hours"
    stale(await catalog_api.put(hours, headers={**editor_b, "If-Match": etag}, json=HOURS))
    exception = f"{hours}/exceptions/2026-12-02"
    stale(
        await catalog_api.put(exception, headers={**editor_b, "If-Match": etag}, json={"periods": [], "note": "检修"})
    )
    after = await catalog_api.get(path)
    assert after.json()["phone"] == "021-5888 1111" and after.json()["opening_hours"] == station["opening_hours"]
    assert version(after.headers["etag"]) == version(new_etag)

    # Read again (the hours answer carries the station's version too), and B's write goes through.
    fresh = (await catalog_api.get(hours)).headers["etag"]
    assert version(fresh) == version(new_etag)
    replaced = await catalog_api.put(hours, headers={**editor_b, "If-Match": fresh}, json=HOURS)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["opening_hours"]["weekly_periods"][0] == {"weekday": 0, "opens": "09:00", "closes": "17:00"}
    # Without If-Match a write proceeds as before.
    unconditional = await catalog_api.patch(path, headers=editor_a, json={"phone": "021-5888 3333"})
    assert unconditional.status_code == 200 and unconditional.json()["phone"] == "021-5888 3333"


async def test_two_patches_on_one_etag_at_once_one_wins(catalog_api):
    # The catalogue reads the row without a lock: the ORM's `UPDATE ... WHERE version = ?` decides the race.
    station, editor_a, editor_b = await open_station(catalog_api)
    path = f"/api/v1/stations/{station['id']}"
    etag = (await catalog_api.get(path)).headers["etag"]
    answers = await asyncio.gather(
        *(
            catalog_api.patch(path, headers={**editor, "If-Match": etag}, json={"phone": phone})
            for editor, phone in ((editor_a, "021-1"), (editor_b, "021-2"))
        )
    )
    assert sorted(answer.status_code for answer in answers) == [200, 412], [answer.text for answer in answers]
    [winner] = [answer for answer in answers if answer.status_code == 200]
    assert (await catalog_api.get(path)).json()["phone"] == winner.json()["phone"]


async def test_two_editors_of_one_project_the_stale_write_is_412_and_changes_nothing(deliberation):
    project = await deliberation.propose()
    path = f"/api/v1/projects/{project['id']}"
    editor_a = deliberation.secretary
    editor_b = staff("social_worker", STATION_ID)
    read_a = await deliberation.http.get(path, headers=editor_a)
    read_b = await deliberation.http.get(path, headers=editor_b)
    etag = read_a.headers["etag"]
    assert etag == read_b.headers["etag"] and etag.startswith('"1-')

    written = await deliberation.http.patch(
        path, headers={**editor_a, "If-Match": etag}, json={"planned_budget_yuan": "42000.00"}
    )
    assert written.status_code == 200, written.text
    new_etag = written.headers["etag"]
    assert version(new_etag) > version(etag)

    stale(
        await deliberation.http.patch(
            path, headers={**editor_b, "If-Match": etag}, json={"title": "微公园：凉亭改花坛"}
        )
    )
    milestones = {"milestones": [{"title": "拆除违章棚", "due_date": "2026-02-01"}]}
    stale(await deliberation.http.put(f"{path}/milestones", headers={**editor_b, "If-Match": etag}, json=milestones))
    after = await deliberation.http.get(path, headers=editor_b)
    assert after.json()["title"] == project["title"] and after.json()["planned_budget_yuan"] == "42000.00"
    assert after.json()["milestones"] == [] and version(after.headers["etag"]) == version(new_etag)
    audit = (await deliberation.http.get(f"{path}/audit", headers=editor_b)).json()["items"]
    assert [entry["action"] for entry in audit].count("update") == 1

    # Read again, and B's write goes through; its answer carries the next version.
    put = await deliberation.http.put(f"{path}/milestones", headers={**editor_b, "If-Match": new_etag}, json=milestones)
    assert put.status_code == 200, put.text
    assert [m["title"] for m in put.json()["milestones"]] == ["拆除违章棚"]
    assert version(put.headers["etag"]) > version(new_etag)


# Writes over many resources at once, with no one version to match: a district-wide closure sets one day at
# every station in scope (each station's own ETag still moves); repeating it changes nothing.
MANY_RESOURCES = {"PUT /api/v1/opening-hours/exceptions/{day}"}


async def test_every_patch_and_put_declares_if_match_and_412(client):
    document = (await client.get("/openapi.json")).json()
    writes = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("patch", "put")
    ]
    assert len(writes) >= 10  # stations (3), staff, demands, departments, resources, service items, projects (2)
    missing = [
        f"{method.upper()} {path}"
        for method, path, operation in writes
        if f"{method.upper()} {path}" not in MANY_RESOURCES
        and (
            not any(
                parameter.get("in") == "header" and parameter.get("name") == "If-Match"
                for parameter in operation.get("parameters", [])
            )
            or "412" not in operation["responses"]
        )
    ]
    assert missing == []
