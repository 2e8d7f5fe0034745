"""`make bench`'s honesty: the bulk tickets are where and when the bench says, and the table says met or
missed by the targets."""

from __future__ import annotations

import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "deploy"))

from bench_report import (  # noqa: E402
    Figures,
    Row,
    both,
    cpu_per_request,
    cpu_table,
    percentile_below,
    rate_kept,
    share_of_ceiling,
    table,
)

STATION = uuid.UUID("75629278-5215-53de-a3e2-0728ff41f0a6")
SUBDISTRICT = uuid.UUID("c36289bd-8113-5264-8e13-c91b86dc5bd1")


def test_the_table_says_met_or_missed_by_each_rows_target() -> None:
    creation = both(share_of_ceiling(0.10), percentile_below("p99", 50))
    rows = [
        Row("ceiling", Figures(10_000, 3, 4, 5)),
        Row("fast enough", Figures(1_200, 20, 30, 40), creation),
        Row("too slow at the tail", Figures(1_200, 20, 30, 60), creation),
        Row("fast but failing", Figures(1_200, 20, 30, 40, errors=3), creation),
        Row("events", Figures(199, 5, 10, 20, of_ceiling=False), rate_kept(200, 25)),
        Row("events falling behind", Figures(150, 5, 10, 20, of_ceiling=False), rate_kept(200, 25)),
        Row("a row that could not run", None, creation, note="not run"),
    ]
    lines = table(rows, ceiling=10_000).splitlines()[2:]
    verdicts = [line.rstrip(" |").rsplit("| ", 1)[-1] for line in lines]
    assert verdicts == ["—", "met", "**missed**", "**missed**", "met", "**missed**", "—"]
    assert "| 12% |" in lines[1] and "| — |" in lines[4]  # events are not compared with the ceiling
    assert "not run" in lines[6]


def test_the_cpu_table_says_where_each_rows_cpu_went_per_request() -> None:
    used = cpu_per_request({"gateway": 2.0, "ticket": 6.0, "PostgreSQL": 1.0, "RabbitMQ": 0.0}, requests=1_000)
    assert used == {
        "gateway": 2.0,
        "ticket": 6.0,
        "PostgreSQL": 1.0,
    }  # ms a request; a group that used none is left out
    assert cpu_per_request({"ticket": 1.0}, requests=0) == {}
    rows = [
        Row("creation", Figures(100, 1, 2, 3), cpu={**used, "idle": 0.05}),
        Row("events", Figures(50, 1, 2, 3, of_ceiling=False)),  # not a wrk row: not in the table
    ]
    lines = cpu_table(rows).splitlines()
    assert lines[0] == "| what | gateway | ticket | PostgreSQL | all | cores idle |"
    assert lines[2] == "| creation | 2.00 | 6.00 | 1.00 | 9.00 | 5% |"
    assert len(lines) == 3


def test_a_processs_cpu_seconds_are_read_from_proc() -> None:
    import subprocess

    from bench import _process_seconds

    burner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\nend = time.process_time() + 0.5\nwhile time.process_time() < end: pass\ninput()",
        ],
        stdin=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while _process_seconds(burner.pid) < 0.45 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert 0.45 <= _process_seconds(burner.pid) < 5
    finally:
        burner.kill()
        burner.wait()
    assert _process_seconds(burner.pid) == 0.0  # gone


@pytest.fixture
async def ticket_database(fresh_databases) -> str:
    url = await fresh_databases("ticket")
    environment = {**os.environ, "TICKET_MODE": "distributed", "TICKET_DATABASE_URL": url}
    migrating = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ticket_service", "migrate", env=environment, cwd=ROOT
    )
    assert await migrating.wait() == 0
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(
            "INSERT INTO station_copy (id, subdistrict_id, community_id, community_name, name, updated_at) "
            "SELECT CASE WHEN i = 0 THEN $1 ELSE gen_random_uuid() END, "
            "CASE WHEN i % 3 = 0 THEN $2 ELSE gen_random_uuid() END, gen_random_uuid(), 'c' || i, 's' || i, now() "
            "FROM generate_series(0, 11) AS i",
            STATION,
            SUBDISTRICT,
        )
    finally:
        await connection.close()
    return url


async def test_bulk_tickets_are_at_the_station_in_time_order_and_some_are_overdue(ticket_database: str) -> None:
    import asyncpg

    from ticket_service.bench_data import load

    connection = await asyncpg.connect(ticket_database)
    try:
        indexes = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'ticket' ORDER BY indexname"
        indexes_before = await connection.fetch(indexes)
        loaded = await load(6_000, ticket_database, station=STATION, station_tickets=1_500)
        assert (loaded.tickets, loaded.at_station) == (6_000, 1_500)
        assert loaded.overdue_at_station > 0
        # The same indexes again (a partial index's predicate comes back spelled with more casts).
        indexes_after = await connection.fetch(indexes)
        assert [(row[0], row[1].split(" WHERE ")[0], " WHERE " in row[1]) for row in indexes_after] == [
            (row[0], row[1].split(" WHERE ")[0], " WHERE " in row[1]) for row in indexes_before
        ]

        # UUIDv7 whose 48-bit timestamp is created_at's milliseconds: the rows sort among real tickets.
        wrong = await connection.fetchval(
            "SELECT count(*) FROM ticket WHERE substr(replace(id::text, '-', ''), 13, 1) <> '7' "
            "OR ('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint "
            "<> floor(extract(epoch FROM created_at) * 1000)::bigint"
        )
        assert wrong == 0
        span = await connection.fetchrow(
            "SELECT min(created_at) > now() - interval '366 days' AS within_year, "
            "max(created_at) > now() - interval '1 hour' AS up_to_now, "
            "bool_and(coalesce(closed_at, now()) <= now()) AS none_closed_later FROM ticket"
        )
        assert span["within_year"] and span["up_to_now"] and span["none_closed_later"]
        # Every row carries its own station's community and subdistrict.
        misplaced = await connection.fetchval(
            "SELECT count(*) FROM ticket AS t JOIN station_copy AS s ON s.id = t.station_id "
            "WHERE t.subdistrict_id <> s.subdistrict_id OR t.community_id <> s.community_id"
        )
        assert misplaced == 0
        statuses = {row["status"]: row["count"] for row in await connection.fetch(
            "SELECT status, count(*) FROM ticket GROUP BY status"
        )}  # fmt: skip
        assert statuses["closed"] > 6_000 * 0.8 and statuses.get("new", 0) > 0 and statuses.get("in_progress", 0) > 0
        # The station's rows are spread over the year, not bunched at one end of its list.
        quarters = await connection.fetchval(
            "SELECT count(DISTINCT date_trunc('quarter', created_at)) FROM ticket WHERE station_id = $1", STATION
        )
        assert quarters >= 4
    finally:
        await connection.close()
