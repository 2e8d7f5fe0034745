"""Bulk tickets for `make bench` (PostgreSQL):
`python -m ticket_service.bench_data --tickets 5000000 --station <id> --station-tickets 100000`.

Fills the ticket table with a year of realistic rows, generated inside PostgreSQL (INSERT ... SELECT from
generate_series, in batches), so a station's list and a subdistrict's overdue list are timed on a
district-sized table:

- ids are UUIDv7 whose timestamp is the row's `created_at` (as `shared.ids.new_id` makes them), so the
  rows interleave with real tickets in every list's keyset order (id = time order);
- `created_at` spreads evenly over the past year (the newest rows minutes old); `--station` receives every
  n-th row, `--station-tickets` of them, the rest go to the other stations the service knows (its
  station copies), each row with its station's community and subdistrict;
- the status depends on age, as in a working district: most of the last two days' tickets open, most older
  ones closed, a small stale backlog of open ones; open tickets carry their next due time (acceptance
  for new ones, resolution otherwise), so those whose due time has passed are overdue, with the breach
  recorded (`sla_breached_at`, as the SLA checker would have); finished ones their accepted / resolved /
  closed times, none later than now;
- residents' names and phones are made up; the rows carry no history, no events and no SLA check to come
  (`sla_check_at` empty), so loading them wakes nothing.

For speed the ticket table's secondary indexes are dropped before the rows go in (in the rows'
transaction) and built again after it commits, two at a time (their definitions read from the catalogue,
so they are exactly the migrations'; a failed build names the ones still to create). Then VACUUM ANALYZE,
as autovacuum would have done on an old table. The bench's databases are its own, so nothing else waits.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.database import Database
from ticket_service.settings import TicketSettings

BATCH = 1_000_000
DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS

# One batch: rows `first` .. `last` of `total`, row n created at `start_ms + n * span_ms / total` (plus up to
# a second of jitter), so ids rise with n and the primary key's index is appended to.
_INSERT = sa.text(
    """
    WITH others AS (
        SELECT row_number() OVER (ORDER BY id) AS k, id, community_id, subdistrict_id
        FROM station_copy WHERE id IS DISTINCT FROM CAST(:station AS uuid)
    ),
    timed AS (
        SELECT id, community_id, subdistrict_id FROM station_copy WHERE id = CAST(:station AS uuid)
    ),
    generated AS (
        SELECT n,
            CAST(:start_ms AS bigint) + (n::numeric * CAST(:span_ms AS bigint) / CAST(:total AS bigint))::bigint
                + floor(random() * 1000)::bigint AS ms,
            CAST(:every AS bigint) > 0 AND n % CAST(:every AS bigint) = 0
                AND n / CAST(:every AS bigint) <= CAST(:station_tickets AS bigint) AS at_timed,
            1 + floor(random() * (SELECT count(*) FROM others))::bigint AS k,
            random() AS chance, random() AS spread,
            replace(gen_random_uuid()::text, '-', '') AS bits
        FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS n
    ),
    placed AS (
        SELECT g.*,
            -- UUIDv7: 48 bits of Unix milliseconds, version 7, then the random bits (and variant) of a v4.
            CAST(lpad(to_hex(g.ms), 12, '0') || '7' || substr(g.bits, 14, 19) AS uuid) AS id,
            to_timestamp(g.ms / 1000.0) AS created_at,
            (CAST(:now_ms AS bigint) - g.ms) / 86400000.0 AS age_days,
            coalesce(t.id, o.id) AS station_id,
            CASE WHEN g.at_timed THEN t.community_id ELSE o.community_id END AS community_id,
            CASE WHEN g.at_timed THEN t.subdistrict_id ELSE o.subdistrict_id END AS subdistrict_id
        FROM generated AS g
            LEFT JOIN others AS o ON o.k = g.k AND NOT g.at_timed
            LEFT JOIN timed AS t ON g.at_timed
    ),
    stated AS (
        SELECT p.*,
            CASE
                WHEN p.age_days < 2 THEN CASE
                    WHEN p.chance < 0.25 THEN 'new' WHEN p.chance < 0.50 THEN 'accepted'
                    WHEN p.chance < 0.70 THEN 'in_progress' WHEN p.chance < 0.75 THEN 'waiting_for_resident'
                    WHEN p.chance < 0.88 THEN 'resolved' WHEN p.chance < 0.98 THEN 'closed' ELSE 'cancelled' END
                WHEN p.age_days < 14 THEN CASE
                    WHEN p.chance < 0.02 THEN 'new' WHEN p.chance < 0.06 THEN 'accepted'
                    WHEN p.chance < 0.12 THEN 'in_progress' WHEN p.chance < 0.14 THEN 'waiting_for_resident'
                    WHEN p.chance < 0.15 THEN 'reopened' WHEN p.chance < 0.25 THEN 'resolved'
                    WHEN p.chance < 0.97 THEN 'closed' ELSE 'cancelled' END
                ELSE CASE
                    WHEN p.chance < 0.002 THEN 'new' WHEN p.chance < 0.006 THEN 'accepted'
                    WHEN p.chance < 0.012 THEN 'in_progress' WHEN p.chance < 0.014 THEN 'waiting_for_resident'
                    WHEN p.chance < 0.015 THEN 'reopened' WHEN p.chance < 0.02 THEN 'resolved'
                    WHEN p.chance < 0.97 THEN 'closed' ELSE 'cancelled' END
            END AS status,
            p.created_at + make_interval(mins => 5 + floor(p.spread * 115)::int) AS accepted,
            p.created_at + make_interval(hours => 1 + floor(p.spread * 71)::int) AS resolved,
            p.created_at + interval '1 day' AS acceptance_due,
            p.created_at + interval '5 days' AS resolution_due
        FROM placed AS p
    ),
    timed_rows AS (
        SELECT s.*,
            s.status IN ('new', 'accepted', 'in_progress', 'waiting_for_resident', 'reopened') AS open,
            CASE WHEN s.status IN ('new', 'reopened') THEN s.acceptance_due
                WHEN s.status IN ('accepted', 'in_progress', 'waiting_for_resident') THEN s.resolution_due END
                AS due,
            CASE WHEN s.status IN ('new', 'cancelled') THEN NULL ELSE least(s.accepted, now()) END AS accepted_at,
            CASE WHEN s.status IN ('resolved', 'closed') THEN least(s.resolved, now()) END AS resolved_at,
            CASE WHEN s.status = 'closed'
                THEN least(s.resolved + make_interval(hours => 1 + floor(s.chance * 47)::int), now()) END
                AS closed_at,
            CASE WHEN s.status = 'cancelled' THEN least(s.created_at + interval '2 hours', now()) END
                AS cancelled_at
        FROM stated AS s
    )
    INSERT INTO ticket (id, station_id, community_id, subdistrict_id, channel, service_category, description,
        resident_name, resident_phone, status, owner_id, owner_kind, responsibility_level, received_by,
        created_by, priority, created_at, updated_at, accepted_at, resolved_at, resolved_by, closed_at,
        cancelled_at, result_text, acceptance_due_at, resolution_due_at, due_at, acceptance_breached,
        resolution_breached, sla_breached_at, sla_check_at, media_urls, handled_by, change_count)
    SELECT r.id, r.station_id, r.community_id, r.subdistrict_id,
        (ARRAY['walk_in','walk_in','phone','app','app','video_link','web'])[1 + r.n % 7],
        (ARRAY['daily_life','daily_life','community_management','health','legal','government_affairs',
            'culture','party_mass'])[1 + r.n % 8],
        (ARRAY['楼道灯不亮，请派人修理', '小区门口道路积水严重', '咨询老年人助餐补贴如何申请',
            '邻居装修噪音影响休息', '申请办理居住证明', '独居老人需要上门探访', '垃圾分类投放点气味大',
            '电动自行车在楼道充电存在隐患', '咨询医保异地备案手续', '希望社区组织文化活动',
            '楼上漏水影响我家天花板', '小区健身器材损坏'])[1 + r.n % 12],
        (ARRAY['王阿姨','李先生','张女士','刘老伯','陈阿姨','杨先生','赵女士','黄老师'])[1 + r.n % 8],
        '13' || lpad((r.n % 1000000000)::text, 9, '0'),
        r.status, 'bench-' || left(r.station_id::text, 8), 'person',
        CASE WHEN r.n % 100 < 90 THEN 'first_inquiry' WHEN r.n % 100 < 97 THEN 'designated' ELSE 'backstop' END,
        'bench-' || left(r.station_id::text, 8), 'bench-' || left(r.station_id::text, 8),
        CASE WHEN r.spread < 0.01 THEN 'urgent' WHEN r.spread < 0.06 THEN 'high' WHEN r.spread < 0.96 THEN 'normal'
            ELSE 'low' END,
        r.created_at,
        greatest(r.created_at, r.accepted_at, r.resolved_at, r.closed_at, r.cancelled_at),
        r.accepted_at, r.resolved_at,
        CASE WHEN r.resolved_at IS NOT NULL THEN 'bench-' || left(r.station_id::text, 8) END,
        r.closed_at, r.cancelled_at,
        CASE WHEN r.resolved_at IS NOT NULL THEN '已办结' END,
        r.acceptance_due, r.resolution_due, r.due,
        r.status IN ('new', 'reopened') AND r.due <= now(),
        r.open AND r.status NOT IN ('new', 'reopened') AND r.due <= now(),
        CASE WHEN r.open AND r.due <= now() THEN r.due END,
        NULL, '[]', '[]', 0
    FROM timed_rows AS r
    """
)

# Secondary indexes of the ticket table (not those behind a constraint: the primary key, unique tokens).
_INDEXES = sa.text(
    """
    SELECT i.indexname, i.indexdef FROM pg_indexes AS i
    WHERE i.schemaname = current_schema() AND i.tablename = 'ticket'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conname = i.indexname)
    ORDER BY i.indexname
    """
)


_AT_STATION = sa.text(
    "SELECT count(*), count(*) FILTER (WHERE due_at <= now() AND status IN "
    "('new', 'accepted', 'in_progress', 'waiting_for_resident', 'reopened')) FROM ticket WHERE station_id = :id"
)


@asynccontextmanager
async def _autocommit(database: Database, attempts: int = 120) -> AsyncIterator[AsyncConnection]:
    """A connection outside any transaction (CREATE INDEX, VACUUM). On a shared server whose connection
    slots are all taken for a moment, tries again each second."""
    for attempt in range(attempts):
        try:
            connection = await database.engine.connect()
            break
        except DBAPIError as error:
            if "too many clients" not in str(error) or attempt == attempts - 1:
                raise
            await asyncio.sleep(1)
    try:
        yield await connection.execution_options(isolation_level="AUTOCOMMIT")
    finally:
        await connection.close()


async def _build(database: Database, definitions: list[str]) -> None:
    """Builds the indexes again, on two connections at once: the expression GIN of the short-text search
    (a function call per row) alone on one, the rest on the other. Should a build fail, the error names
    the definitions still to create."""

    async def build(group: list[str]) -> None:
        async with _autocommit(database) as autocommit:
            await autocommit.execute(sa.text("SET maintenance_work_mem = '1GB'"))
            for done, definition in enumerate(group):
                try:
                    await autocommit.execute(sa.text(definition))
                except Exception as error:
                    raise RuntimeError(f"index build failed; still to create: {group[done:]}") from error

    slow = [definition for definition in definitions if "USING gin" in definition and "(description)" in definition]
    await asyncio.gather(build(slow), build([d for d in definitions if d not in slow]))


@dataclass(frozen=True)
class Loaded:
    tickets: int
    at_station: int
    overdue_at_station: int
    insert_seconds: float
    index_seconds: float
    vacuum_seconds: float

    @property
    def seconds(self) -> float:
        return self.insert_seconds + self.index_seconds + self.vacuum_seconds


async def load(
    total: int,
    database_url: str | None = None,
    *,
    station: uuid.UUID | None = None,
    station_tickets: int = 0,
    rebuild_indexes: bool = True,
    progress: bool = False,
) -> Loaded:
    settings = TicketSettings(database_url=database_url) if database_url else TicketSettings()
    database = Database(settings.async_database_url)
    every = total // station_tickets if station and station_tickets else 0
    if station_tickets and every < 1:
        raise SystemExit("--station-tickets cannot exceed --tickets")
    try:
        started = time.monotonic()
        async with database.transaction() as session:
            if not await session.scalar(sa.text("SELECT count(*) FROM station_copy")):
                raise SystemExit("no station copies yet: seed the catalogue first")
            if station is not None and not await session.scalar(
                sa.text("SELECT count(*) FROM station_copy WHERE id = :id"), {"id": station}
            ):
                raise SystemExit(f"station {station} has no copy here: seed the catalogue first")
            await session.execute(sa.text("SET LOCAL synchronous_commit = off"))
            # Loaded as a restore would be: without the offline sync's per-row commit numbering (five million
            # deferred trigger firings); the tickets keep change number 0, which a first sync includes.
            await session.execute(sa.text("SET LOCAL session_replication_role = replica"))
            found = (await session.execute(_INDEXES)).all() if rebuild_indexes else []
            indexes = [str(definition) for _, definition in found]
            for name, _ in found:
                await session.execute(sa.text(f'DROP INDEX "{name}"'))
            now_ms = int(time.time() * 1000)
            for first in range(1, total + 1, BATCH):
                last = min(total, first + BATCH - 1)
                await session.execute(
                    _INSERT,
                    {
                        "station": str(station) if station else None,
                        "station_tickets": station_tickets,
                        "every": every,
                        "first": first,
                        "last": last,
                        "total": total,
                        "now_ms": now_ms,
                        "start_ms": now_ms - YEAR_MS,
                        "span_ms": YEAR_MS - 60_000,  # the newest row a minute old
                    },
                )
                if progress:
                    print(f"  {last:,} of {total:,} rows ({time.monotonic() - started:.0f} s)", flush=True)
        inserted = time.monotonic()
        await _build(database, indexes)
        indexed = time.monotonic()
        async with _autocommit(database) as autocommit:
            await autocommit.execute(sa.text("VACUUM (ANALYZE) ticket"))
            at_station, overdue = (0, 0)
            if station is not None:
                found = (await autocommit.execute(_AT_STATION, {"id": station})).one()
                at_station, overdue = int(found[0]), int(found[1])
        vacuumed = time.monotonic()
        return Loaded(
            tickets=total,
            at_station=at_station,
            overdue_at_station=overdue,
            insert_seconds=inserted - started,
            index_seconds=indexed - inserted,
            vacuum_seconds=vacuumed - indexed,
        )
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ticket_service.bench_data")
    parser.add_argument("--tickets", type=int, default=5_000_000)
    parser.add_argument("--station", type=uuid.UUID, default=None, help="the timed station (its copy must exist)")
    parser.add_argument("--station-tickets", type=int, default=100_000, help="how many rows the station gets")
    parser.add_argument("--keep-indexes", action="store_true", help="insert into the live indexes (slower)")
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    loaded = asyncio.run(
        load(
            arguments.tickets,
            arguments.database_url,
            station=arguments.station,
            station_tickets=arguments.station_tickets if arguments.station else 0,
            rebuild_indexes=not arguments.keep_indexes,
            progress=True,
        )
    )
    print(
        f"inserted {loaded.tickets:,} tickets ({loaded.at_station:,} at the station, {loaded.overdue_at_station:,} "
        f"of them overdue) in {loaded.seconds:.0f} s: rows {loaded.insert_seconds:.0f} s, indexes "
        f"{loaded.index_seconds:.0f} s, vacuum and analyze {loaded.vacuum_seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
