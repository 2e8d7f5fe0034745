"""The deliberation service on its own (SQLite, or PostgreSQL for the concurrency tests), with helpers
that drive a project through its meetings the way station staff and residents would."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from deliberation_service.app import create_app, definition
from deliberation_service.settings import DeliberationSettings
from shared.events import EventEnvelope
from shared.events.tables import outbox_message
from shared.ids import stable_id, utcnow
from shared.settings import Mode
from tests.conftest import bearer, running
from tests.templates import migrate

SUBDISTRICT = "陆家嘴街道"
COMMUNITY = "市新居委会"
OTHER_COMMUNITY = "滨江居委会"
STATION_ID = str(stable_id("station", SUBDISTRICT, COMMUNITY))
COMMUNITY_ID = str(stable_id("community", SUBDISTRICT, COMMUNITY))
SUBDISTRICT_ID = str(stable_id("subdistrict", SUBDISTRICT))
OTHER_STATION_ID = str(stable_id("station", SUBDISTRICT, OTHER_COMMUNITY))
OTHER_COMMUNITY_ID = str(stable_id("community", SUBDISTRICT, OTHER_COMMUNITY))
DEPARTMENT_ID = str(stable_id("department", SUBDISTRICT, "civil_affairs"))


def station_event(subdistrict: str, community: str, **extra: Any) -> EventEnvelope:
    data = {
        "id": str(stable_id("station", subdistrict, community)),
        "name": f"{community}家门口服务站",
        "subdistrict_id": str(stable_id("subdistrict", subdistrict)),
        "subdistrict_name": subdistrict,
        "community_id": str(stable_id("community", subdistrict, community)),
        "community_name": community,
        "address": f"{community} 1号",
        "time_zone": "Asia/Shanghai",
        **extra,
    }
    return EventEnvelope.new("station.created", "/doorstep/catalog", data, subject=data["id"])


def staff(role: str = "secretary", station_id: str = STATION_ID, subject: str | None = None) -> dict[str, str]:
    return bearer(role, subject or str(uuid.uuid4()), station_id=station_id, subdistrict_id=SUBDISTRICT_ID)


def resident(subject: str | None = None, community_id: str = COMMUNITY_ID) -> tuple[str, dict[str, str]]:
    subject = subject or str(uuid.uuid4())
    return subject, bearer("resident", subject, community_id=community_id, subdistrict_id=SUBDISTRICT_ID)


@dataclass
class Deliberation:
    """The running service, an HTTP client on it, and shortcuts for the common steps."""

    app: Any
    http: httpx.AsyncClient
    secretary: dict[str, str] = field(default_factory=staff)

    @property
    def database(self) -> Any:
        return self.app.state.runtime.database

    async def events(self, event_type: str | None = None) -> list[EventEnvelope]:
        async with self.database.sessionmaker() as session:
            query = sa.select(outbox_message.c.payload).order_by(outbox_message.c.created_at, outbox_message.c.id)
            if event_type is not None:
                query = query.where(outbox_message.c.event_type == event_type)
            rows = (await session.scalars(query)).all()
        return [EventEnvelope.from_json(row) for row in rows]

    async def count(self, model: Any, *where: Any) -> int:
        async with self.database.sessionmaker() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0)

    async def propose(self, **overrides: Any) -> dict:
        body = {
            "station_id": STATION_ID,
            "title": "微公园：违章棚改建凉亭",
            "description": "拆除违章棚，改建凉亭。",
            "service_category": "community_management",
            "place": "3号楼旁",
            "planned_budget_yuan": "38000.00",
            "planned_start_date": "2026-01-01",
            "planned_end_date": "2026-06-30",
            **overrides,
        }
        response = await self.http.post("/api/v1/projects", json=body, headers=self.secretary)
        assert response.status_code == 201, response.text
        return response.json()

    async def schedule(self, project_id: str, kind: str, *, starts_in: timedelta = timedelta(minutes=10)) -> dict:
        starts_at = utcnow() + starts_in
        response = await self.http.post(
            "/api/v1/meetings",
            headers=self.secretary,
            json={
                "kind": kind,
                "project_id": project_id,
                "title": f"{kind} meeting",
                "starts_at": starts_at.isoformat(),
                "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
                "place": "二楼会议室",
                "agenda": ["方案", "表决"],
            },
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def open(self, meeting_id: str) -> None:
        response = await self.http.post(f"/api/v1/meetings/{meeting_id}/open", headers=self.secretary)
        assert response.status_code == 200, response.text

    async def check_in(self, meeting_id: str, count: int) -> list[tuple[str, dict[str, str]]]:
        residents = [resident() for _ in range(count)]
        for subject, _ in residents:
            response = await self.http.post(
                f"/api/v1/meetings/{meeting_id}/check-ins", headers=self.secretary, json={"resident_id": subject}
            )
            assert response.status_code == 201, response.text
        return residents

    async def motion(self, meeting_id: str, *, deciding: bool = True) -> dict:
        response = await self.http.post(
            f"/api/v1/meetings/{meeting_id}/motions",
            headers=self.secretary,
            json={"title": "同意方案", "deciding": deciding},
        )
        assert response.status_code == 201, response.text
        return response.json()

    async def vote(self, meeting_id: str, motion_id: str, headers: dict[str, str], choice: str) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/meetings/{meeting_id}/motions/{motion_id}/votes", headers=headers, json={"choice": choice}
        )

    async def close(
        self, meeting_id: str, attendee_count: int, minutes: str = "会议纪要：表决通过。"
    ) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/meetings/{meeting_id}/close",
            headers=self.secretary,
            json={"minutes": minutes, "attendee_count": attendee_count},
        )

    async def decide(self, project_id: str, kind: str, choices: list[str], ratings: list[int] | None = None) -> dict:
        """Hold a hearing or review whose deciding motion gets ``choices``; returns the closed meeting."""
        meeting = await self.schedule(project_id, kind)
        await self.open(meeting["id"])
        residents = await self.check_in(meeting["id"], len(choices))
        motion = await self.motion(meeting["id"])
        for (_, headers), choice in zip(residents, choices, strict=True):
            assert (await self.vote(meeting["id"], motion["id"], headers, choice)).status_code == 201
        for (_, headers), score in zip(residents, ratings or [], strict=False):
            rated = await self.http.post(
                f"/api/v1/meetings/{meeting['id']}/ratings", headers=headers, json={"score": score}
            )
            assert rated.status_code == 201, rated.text
        closed = await self.close(meeting["id"], attendee_count=len(choices) + 2)
        assert closed.status_code == 200, closed.text
        return closed.json()

    async def act(self, project_id: str, action: str) -> httpx.Response:
        return await self.http.post(
            f"/api/v1/projects/{project_id}/transitions", headers=self.secretary, json={"action": action}
        )

    async def project(self, project_id: str) -> dict:
        response = await self.http.get(f"/api/v1/projects/{project_id}", headers=self.secretary)
        assert response.status_code == 200, response.text
        return response.json()

    async def approved_project(self) -> dict:
        project = await self.propose()
        await self.decide(project["id"], "hearing", ["yes"] * 10)
        return await self.project(project["id"])

    async def project_in_review(self) -> dict:
        project = await self.approved_project()
        assert (await self.act(project["id"], "start_implementation")).status_code == 200
        progressed = await self.http.post(
            f"/api/v1/projects/{project['id']}/progress", headers=self.secretary, json={"progress_percent": 100}
        )
        assert progressed.status_code == 200, progressed.text
        assert (await self.act(project["id"], "submit_for_review")).status_code == 200
        return await self.project(project["id"])


async def start_deliberation(database_url: str, **settings: Any) -> AsyncIterator[Deliberation]:
    config = DeliberationSettings(mode=Mode.embedded, database_url=database_url, **settings)
    migrate(definition, config)  # SQLite: a copy of a database migrated once
    app = create_app(config)
    async with running(app):
        bus = app.state.runtime.bus
        for subdistrict, community in ((SUBDISTRICT, COMMUNITY), (SUBDISTRICT, OTHER_COMMUNITY)):
            await bus.publish(station_event(subdistrict, community))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://deliberation") as http:
            yield Deliberation(app=app, http=http)


@pytest.fixture
async def deliberation(tmp_path: Path) -> AsyncIterator[Deliberation]:
    async for running_service in start_deliberation(f"sqlite+aiosqlite:///{tmp_path / 'deliberation.db'}"):
        yield running_service


def problem(response: httpx.Response, status: int, code: str) -> dict:
    """Asserts a problem+json answer with this status and reason code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code, body
    return body
