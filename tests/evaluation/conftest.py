"""The evaluation service on its own: a real app with its own database, events fed to its consumer."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from evaluation_service.app import create_app, definition
from evaluation_service.invitations.models import Invitation
from evaluation_service.seed import seed_demo
from evaluation_service.settings import EvaluationSettings
from shared.database import Database
from shared.events import EventEnvelope, InProcessBus
from shared.ids import stable_id, utcnow
from tests.conftest import DEMO_STATION_ID, DEMO_SUBDISTRICT_ID, bearer
from tests.templates import migrate_async

SOCIAL_WORKER = str(stable_id("staff", "陆家嘴街道", "市新居委会", "social_worker"))
RECEPTIONIST = str(stable_id("staff", "陆家嘴街道", "市新居委会", "receptionist"))
SECRETARY = str(stable_id("staff", "陆家嘴街道", "市新居委会", "secretary"))
RESIDENT = str(stable_id("resident", "demo"))
DEPARTMENT = str(stable_id("department", "陆家嘴街道", "civil_affairs"))
DEMO_COMMUNITY_ID = str(stable_id("community", "陆家嘴街道", "市新居委会"))
OTHER_SUBDISTRICT_ID = str(stable_id("subdistrict", "金桥镇"))
OTHER_STATION_ID = str(stable_id("station", "金桥镇", "张桥"))


def staff(user: str = SOCIAL_WORKER, role: str = "social_worker", station_id: str = DEMO_STATION_ID) -> dict:
    return bearer(role, user, station_id=station_id, subdistrict_id=DEMO_SUBDISTRICT_ID)


def department(subdistrict_id: str = DEMO_SUBDISTRICT_ID, department_id: str = DEPARTMENT) -> dict:
    return bearer(
        "department", "dept-user-" + department_id[:8], department_id=department_id, subdistrict_id=subdistrict_id
    )


def resident(user: str = RESIDENT) -> dict:
    return bearer("resident", user)


def ticket_closed(**overrides: Any) -> dict[str, Any]:
    """A ticket.closed payload with every field of the contract in the briefing."""
    closed_at = overrides.pop("closed_at", utcnow() - timedelta(hours=1))
    data: dict[str, Any] = {
        "ticket_id": str(uuid.uuid4()),
        "station_id": DEMO_STATION_ID,
        "subdistrict_id": DEMO_SUBDISTRICT_ID,
        "community_id": DEMO_COMMUNITY_ID,
        "community_name": "市新居委会",
        "service_category": "government_affairs",
        "responsibility_level": "first_inquiry",
        "owner_id": SOCIAL_WORKER,
        "completed_by": SOCIAL_WORKER,
        "resident_id": RESIDENT,
        "handled_by": [RECEPTIONIST, SOCIAL_WORKER],
        "status": "closed",
        "created_at": (closed_at - timedelta(hours=3)).isoformat(),
        "accepted_at": (closed_at - timedelta(hours=2, minutes=50)).isoformat(),
        "closed_at": closed_at.isoformat(),
        "accepted_on_time": True,
        "resolved_on_time": True,
        "acceptance_working_minutes": 10,
        "resolution_working_minutes": 170,
    }
    data.update(overrides)
    return data


@dataclass
class Harness:
    app: FastAPI
    client: httpx.AsyncClient
    database: Database
    bus: InProcessBus
    settings: EvaluationSettings

    async def publish(self, event_type: str, data: dict[str, Any], time: datetime | None = None) -> EventEnvelope:
        envelope = EventEnvelope(type=event_type, source="/tests", data=data, time=time or utcnow())
        await self.bus.publish(envelope)
        return envelope

    async def close_ticket(self, **overrides: Any) -> dict[str, Any]:
        data = ticket_closed(**overrides)
        await self.publish("ticket.closed", data)
        return data

    async def invitation(self, ticket_id: str) -> Invitation:
        async with self.database.sessionmaker() as session:
            invitation = await session.scalar(sa.select(Invitation).where(Invitation.ticket_id == uuid.UUID(ticket_id)))
        assert invitation is not None, "no invitation for the ticket"
        return invitation

    async def link(self, ticket_id: str, headers: dict | None = None) -> dict[str, Any]:
        """A fresh rating link, by default the resident's own (from their account): staff who handled the
        ticket get none, and a colleague's desk link needs the code sent to the resident."""
        invitation = await self.invitation(ticket_id)
        response = await self.client.post(
            f"/api/v1/evaluations/invitations/{invitation.id}/token", headers=headers or resident()
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def desk_link(self, ticket_id: str, headers: dict) -> tuple[str, str]:
        """A colleague's desk link: (token, the code the notification service would send the resident)."""
        token = (await self.link(ticket_id, headers=headers))["token"]
        issued = await self.outbox_events("evaluation.rating_code_issued")
        latest = max((e for e in issued if e.data["ticket_id"] == ticket_id), key=lambda event: event.time)
        return token, latest.data["code"]

    async def closed_with_token(self, **overrides: Any) -> tuple[dict[str, Any], str]:
        data = await self.close_ticket(**overrides)
        return data, (await self.link(data["ticket_id"]))["token"]

    def dead_letters(self) -> list[EventEnvelope]:
        return self.bus.dead_letters("evaluation")

    async def scalar(self, query: Any) -> Any:
        async with self.database.sessionmaker() as session:
            return await session.scalar(query)

    async def outbox_events(self, event_type: str) -> list[EventEnvelope]:
        from shared.events.tables import outbox_message

        async with self.database.sessionmaker() as session:
            payloads = (
                await session.scalars(
                    sa.select(outbox_message.c.payload).where(outbox_message.c.event_type == event_type)
                )
            ).all()
        return [EventEnvelope.from_json(payload) for payload in payloads]


def evaluation_settings(database_url: str, **overrides: Any) -> EvaluationSettings:
    return EvaluationSettings(
        mode="embedded", database_url=database_url, consumer_retry_delay_ms=20, consumer_max_retries=1, **overrides
    )


@asynccontextmanager
async def harness_for(database_url: str, **overrides: Any) -> AsyncIterator[Harness]:
    settings = evaluation_settings(database_url, **overrides)
    await migrate_async(definition, settings)  # SQLite: a copy of a database migrated once
    app = create_app(settings)
    runtime = app.state.runtime
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://evaluation.test") as client:
            yield Harness(app, client, runtime.database, runtime.bus, settings)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}") as value:
        yield value


# --- a seeded year ------------------------------------------------------------------------------------
# The seed runs twelve months back from "now": 12:00 in Shanghai on 25 November 2026, so the seeded ratings
# run from December 2025 to that day, and 2026 is the calendar year with eleven months of them.
SEEDED_NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)
SEEDED_YEAR = 2026
SEEDED_MONTHS = ["2025-12", *(f"2026-{month:02d}" for month in range(1, 12))]


def catalogue_events() -> list[tuple[str, dict[str, Any]]]:
    """The catalogue's own events for its demo data at CATALOG_DEMO_SCALE=reported: the report's 8 stations
    in 4 subdistricts, their staff (4 social workers each) and the departments."""
    from catalog_service.demo.generate import generate, reported_only
    from catalog_service.departments.service import department_state
    from catalog_service.staff.service import staff_state
    from catalog_service.stations.hours import parse_calendar
    from catalog_service.stations.service import station_state

    data = reported_only(generate())
    names = {row["id"]: row["name"] for row in data.subdistricts}
    events: list[tuple[str, dict[str, Any]]] = []
    for row in data.stations:
        calendar = parse_calendar(row["opening_hours"]).to_dict()
        state = station_state(SimpleNamespace(**row), names[row["subdistrict_id"]], calendar)
        events.append(("station.created", state))
    for row in data.departments:
        name = names.get(row["subdistrict_id"]) if row["subdistrict_id"] else None
        events.append(("department.created", department_state(SimpleNamespace(**row), name)))
    events.extend(("staff.created", staff_state(SimpleNamespace(**row))) for row in data.staff)
    return events


@pytest.fixture(scope="module")
async def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The service with the catalogue's copies and a seeded year, built once per module and copied per test."""
    directory = tmp_path_factory.mktemp("seeded-year")
    async with harness_for(f"sqlite+aiosqlite:///{directory / 'evaluation.db'}") as harness:
        for event_type, data in catalogue_events():
            await harness.publish(event_type, data, time=SEEDED_NOW - timedelta(days=30))
        assert harness.dead_letters() == []
        await seed_demo(harness.database, now=SEEDED_NOW)
    return directory


def copy_directory(source: Path, target: Path) -> None:
    for file in source.iterdir():
        shutil.copy(file, target / file.name)


@pytest.fixture
async def seeded(seeded_template: Path, tmp_path: Path) -> AsyncIterator[Harness]:
    copy_directory(seeded_template, tmp_path)
    async with harness_for(f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}") as harness:
        yield harness


async def table_rows(harness: Harness, model: Any) -> list[dict[str, Any]]:
    """A table's rows as stored, read without the service's code."""
    async with harness.database.sessionmaker() as session:
        return [dict(row) for row in (await session.execute(sa.select(model.__table__))).mappings().all()]
