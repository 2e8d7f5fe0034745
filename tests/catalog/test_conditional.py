"""If-Match on each of the catalogue's PATCHes (issue 13, point 5): the single resource's GET names its
version in the ETag, a PATCH with that tag goes through and answers the next one, a PATCH with the old one
is 412 and changes nothing. (Two editors at once, on PostgreSQL too: tests/platform/test_conditional_edits.py.)"""

from __future__ import annotations

import httpx
import pytest

from tests.catalog.conftest import district_admin, problem

# Each editable list, the filter picking a row its PATCH accepts, and two harmless edits of one field.
EDITABLE = [
    ("stations", {}, "phone", "021-5888 0001", "021-5888 0002"),
    ("staff", {}, "phone", "021-5888 0003", "021-5888 0004"),
    ("departments", {}, "phone", "021-5888 0005", "021-5888 0006"),
    ("resources", {}, "description", "每周二下午可约", "每周四下午可约"),
    ("demands", {"status": "open"}, "title", "楼道加装扶手", "楼道加装照明"),
    ("service-items", {}, "description", "每月第一个周六", "每月最后一个周六"),
]


def version(etag: str) -> int:
    return int(etag.strip('"').split("-")[0])


async def first_id(api: httpx.AsyncClient, collection: str, filters: dict[str, str]) -> str:
    listed = await api.get(f"/api/v1/{collection}", headers=district_admin(), params={"limit": 1, **filters})
    assert listed.status_code == 200, listed.text
    return listed.json()["items"][0]["id"]


@pytest.mark.parametrize(("collection", "filters", "field", "first", "second"), EDITABLE, ids=[e[0] for e in EDITABLE])
async def test_a_patch_on_a_stale_etag_is_412_and_changes_nothing(api, collection, filters, field, first, second):
    path = f"/api/v1/{collection}/{await first_id(api, collection, filters)}"
    editor = district_admin()
    read = await api.get(path, headers=editor)
    etag = read.headers["etag"]
    assert read.status_code == 200 and etag.startswith(f'"{version(etag)}-')  # versioned: "<version>-<digest>"

    written = await api.patch(path, headers={**editor, "If-Match": etag}, json={field: first})
    assert written.status_code == 200, written.text
    assert written.json()[field] == first and version(written.headers["etag"]) > version(etag)

    problem(await api.patch(path, headers={**editor, "If-Match": etag}, json={field: second}), 412, "If-Match")
    after = await api.get(path, headers=editor)
    assert after.json()[field] == first
    assert version(after.headers["etag"]) == version(written.headers["etag"])


@pytest.mark.parametrize(("collection", "filters", "field", "first", "second"), EDITABLE, ids=[e[0] for e in EDITABLE])
async def test_a_writes_answer_is_what_the_next_read_returns(api, collection, filters, field, first, second):
    """The PATCH answer's tag serves If-None-Match: marking the row for offline sync after the commit must
    not move its `updated_at` (an app caching the write's answer would otherwise never get a 304)."""
    path = f"/api/v1/{collection}/{await first_id(api, collection, filters)}"
    editor = district_admin()
    written = await api.patch(path, headers=editor, json={field: second})
    assert written.status_code == 200, written.text
    again = await api.get(path, headers={**editor, "If-None-Match": written.headers["etag"]})
    assert again.status_code == 304, again.text
