"""Attachments in S3-compatible storage, against a real S3-speaking server (moto's standalone server in its own
process): the photo's stored object has no GPS, the list's link is the server's presigned URL, and retention
deletes the object. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.service import run_migrations_sync
from shared.settings import Mode
from tests.conftest import running
from tests.ticket.conftest import MONDAY_0900, Clock, open_station, raise_ticket
from tests.ticket.s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Server, s3_server
from tests.ticket.test_attachments import has_gps, photo, upload
from ticket_service.app import create_app, definition
from ticket_service.settings import TicketSettings

BUCKET = "doorstep-test-attachments"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        server.create_bucket(BUCKET)
        yield server


def _settings(database_url: str, s3: S3Server) -> TicketSettings:
    return TicketSettings(
        mode=Mode.embedded,
        database_url=database_url,
        sla_checker_enabled=False,
        attachment_store="s3",
        attachment_s3_bucket=BUCKET,
        attachment_s3_endpoint_url=s3.endpoint_url,
        attachment_s3_region=REGION,
        attachment_s3_access_key_id=ACCESS_KEY_ID,
        attachment_s3_secret_access_key=SECRET_ACCESS_KEY,
    )


@pytest.fixture(params=["sqlite", "postgresql"])
async def s3_app(request, tmp_path: Path, s3: S3Server, fresh_databases) -> AsyncIterator[Any]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'ticket.db'}"
    else:
        url = await fresh_databases("ticket")
    settings = _settings(url, s3)
    await asyncio.to_thread(run_migrations_sync, definition, settings)
    app = create_app(settings)
    async with running(app):
        app.state.clock = Clock(MONDAY_0900)
        yield app


async def test_a_photo_in_s3_loses_its_gps_is_served_presigned_then_removed_by_retention(s3_app, s3):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=s3_app), base_url="http://ticket") as http:
        station = await open_station(s3_app)
        worker = station.headers("social_worker")
        ticket = await raise_ticket(http, station)
        answer = await upload(http, ticket["id"], worker, photo(), public=True)
        assert answer.status_code == 201, answer.text
        attachment = answer.json()
        key = f"tickets/{ticket['id']}/{attachment['id']}"
        assert {key, key + "-public"} <= set(s3.keys(BUCKET))

        # The object in the bucket has no location.
        stored = s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert not has_gps(stored)

        # The list's link is the S3 server's own presigned GET URL, for the configured time.
        listed = (await http.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=worker)).json()
        url = listed["items"][0]["url"]
        assert url.startswith(s3.endpoint_url + f"/{BUCKET}/{key}") and "X-Amz-Signature=" in url
        assert "X-Amz-Expires=600" in url
        async with httpx.AsyncClient() as outside:
            served = await outside.get(url)
            assert served.status_code == 200 and served.content == stored
            assert served.headers["content-type"] == "image/jpeg"
        # The public copy, served by the service from the bucket.
        public = await http.get(attachment["public_url"].split("127.0.0.1:8000", 1)[1])
        assert public.status_code == 200 and not has_gps(public.content)

        closed = await http.post(
            f"/api/v1/tickets/{ticket['id']}/close", headers=station.headers("receptionist"), json={"result_text": "好"}
        )
        assert closed.status_code == 200, closed.text
        s3_app.state.clock.set(MONDAY_0900 + timedelta(days=400))
        assert await s3_app.state.anonymiser.run_once() == 1
        assert not {key, key + "-public"} & set(s3.keys(BUCKET))  # the objects are gone from the bucket
        async with httpx.AsyncClient() as outside:
            # The presigned URL no longer serves (S3 says 403 or 404 for a missing key, as the signer may list).
            assert (await outside.get(url)).status_code in (403, 404)
        after = (await http.get(f"/api/v1/tickets/{ticket['id']}/attachments", headers=worker)).json()["items"]
        assert after[0]["removed_reason"] == "retention" and after[0]["url"] is None
