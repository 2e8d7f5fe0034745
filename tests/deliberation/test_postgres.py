"""Concurrency on real PostgreSQL: unique constraints and row locks decide races, not luck."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from deliberation_service.meetings import service
from deliberation_service.meetings.models import Attendance, Motion, Vote
from shared.auth import Principal
from shared.errors import Conflict
from shared.ids import utcnow
from tests.conftest import eventually
from tests.deliberation.conftest import COMMUNITY_ID, start_deliberation


@pytest.fixture
async def on_postgres(fresh_databases):
    url = await fresh_databases("deliberation")
    async for running_service in start_deliberation(url):
        yield running_service


async def open_motion(deliberation, residents: int) -> tuple[dict, dict, list]:
    project = await deliberation.propose()
    meeting = await deliberation.schedule(project["id"], "hearing")
    await deliberation.open(meeting["id"])
    checked_in = await deliberation.check_in(meeting["id"], residents)
    motion = await deliberation.motion(meeting["id"])
    return meeting, motion, checked_in


async def test_two_residents_voting_at_the_same_instant_both_count(on_postgres):
    meeting, motion, residents = await open_motion(on_postgres, 10)
    responses = await asyncio.gather(
        *(on_postgres.vote(meeting["id"], motion["id"], headers, "yes") for _, headers in residents[:2])
    )
    assert [r.status_code for r in responses] == [201, 201]
    closed = await on_postgres.http.post(
        f"/api/v1/meetings/{meeting['id']}/motions/{motion['id']}/close", headers=on_postgres.secretary
    )
    assert closed.json()["yes_count"] == 2


async def test_one_resident_voting_twice_at_the_same_instant_counts_once(on_postgres):
    meeting, motion, residents = await open_motion(on_postgres, 10)
    _, headers = residents[0]
    responses = await asyncio.gather(
        *(on_postgres.vote(meeting["id"], motion["id"], headers, c) for c in ("yes", "no"))
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    [refused] = [r for r in responses if r.status_code == 409]
    assert refused.json()["code"] == "already_voted"
    assert refused.headers["content-type"] == "application/problem+json"
    assert await on_postgres.count(Vote) == 1


async def test_the_unique_constraint_refuses_a_second_vote_that_passed_the_check(on_postgres):
    """Both transactions see "not voted yet"; the second insert waits on the first and then gets 409."""
    meeting, motion, residents = await open_motion(on_postgres, 1)
    subject, _ = residents[0]
    voter = Principal(user_id=subject, roles=frozenset({"resident"}), community_id=COMMUNITY_ID)
    database = on_postgres.database
    meeting_id, motion_id = uuid.UUID(meeting["id"]), uuid.UUID(motion["id"])
    async with database.sessionmaker() as first, database.sessionmaker() as second:
        await service.cast_vote(first, meeting_id, motion_id, "yes", voter, now=utcnow())  # inserted, not committed
        racing = asyncio.create_task(service.cast_vote(second, meeting_id, motion_id, "no", voter, now=utcnow()))

        async def second_waits_on_the_first() -> bool:
            async with database.engine.connect() as connection:
                waiting = await connection.scalar(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            return bool(waiting)

        await eventually(second_waits_on_the_first)
        await first.commit()
        with pytest.raises(Conflict) as refused:
            await racing
        assert refused.value.code == "already_voted"
        await second.rollback()
    async with database.sessionmaker() as session:
        assert (await session.scalars(sa.select(Vote.choice))).all() == ["yes"]


async def test_closing_while_residents_vote_freezes_exactly_the_votes_stored(on_postgres):
    meeting, motion, residents = await open_motion(on_postgres, 12)
    close = on_postgres.http.post(
        f"/api/v1/meetings/{meeting['id']}/motions/{motion['id']}/close", headers=on_postgres.secretary
    )
    votes = [on_postgres.vote(meeting["id"], motion["id"], headers, "yes") for _, headers in residents]
    closed, *cast = await asyncio.gather(close, *votes)
    assert closed.status_code == 200
    assert all(r.status_code == 201 or r.json()["code"] == "voting_closed" for r in cast)
    async with on_postgres.database.sessionmaker() as session:
        frozen = await session.get(Motion, uuid.UUID(motion["id"]))
        stored = await session.scalar(sa.select(sa.func.count()).select_from(Vote))
    assert frozen.yes_count == stored == sum(r.status_code == 201 for r in cast)


async def test_checking_the_same_resident_in_twice_at_once_keeps_one_row(on_postgres):
    project = await on_postgres.propose()
    meeting = await on_postgres.schedule(project["id"], "hearing")
    url = f"/api/v1/meetings/{meeting['id']}/check-ins"
    responses = await asyncio.gather(
        *(on_postgres.http.post(url, headers=on_postgres.secretary, json={"resident_id": "r-1"}) for _ in range(2))
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    assert await on_postgres.count(Attendance) == 1


async def test_the_demo_seed_runs_on_postgres_and_only_once(on_postgres):
    from deliberation_service.app import definition
    from deliberation_service.projects.models import Project

    assert definition.seed is not None
    await definition.seed(on_postgres.database)
    await definition.seed(on_postgres.database)
    assert await on_postgres.count(Project) == 8
    stages = {p["stage"] for p in (await on_postgres.http.get("/api/v1/projects")).json()["items"]}
    assert len(stages) == 8
