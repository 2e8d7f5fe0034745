"""Bulk tickets for `make bench` (PostgreSQL): `python -m ticket_service.bench_data --tickets 1000000`.

Fills the ticket table with realistic-looking rows in one INSERT ... SELECT (seconds, not hours), spread
over the stations the service knows, so a station's list can be timed at a million tickets. Rows carry no
history or events: they exist only to load the list's indexes.
"""

from __future__ import annotations

import argparse
import asyncio

import sqlalchemy as sa

from shared.database import Database
from ticket_service.settings import TicketSettings

_INSERT = sa.text(
    """
    WITH s AS (
        SELECT array_agg(id ORDER BY id) AS ids, array_agg(community_id ORDER BY id) AS communities,
            array_agg(subdistrict_id ORDER BY id) AS subdistricts, count(*)::int AS total
        FROM station_copy
    )
    INSERT INTO ticket (id, station_id, community_id, subdistrict_id, channel, service_category, description,
        status, responsibility_level, owner_kind, owner_id, media_urls, handled_by, acceptance_breached,
        resolution_breached, change_count, created_at, updated_at)
    SELECT gen_random_uuid(), s.ids[1 + n % s.total], s.communities[1 + n % s.total], s.subdistricts[1 + n % s.total],
        (ARRAY['walk_in','phone','app','video_link','web'])[1 + n % 5],
        (ARRAY['party_mass','government_affairs','daily_life','legal','health','culture','community_management'])
            [1 + n % 7],
        'bench', (ARRAY['new','accepted','in_progress','resolved','closed','closed','closed'])[1 + n % 7],
        'first_inquiry', 'person', 'bench-owner', '[]', '[]', false, false, 0,
        now() - make_interval(mins => n % 525600), now()
    FROM generate_series(1, :total) AS n, s
    """
)


async def load(total: int, database_url: str | None = None) -> int:
    settings = TicketSettings(database_url=database_url) if database_url else TicketSettings()
    database = Database(settings.async_database_url)
    try:
        async with database.transaction() as session:
            if not await session.scalar(sa.text("SELECT count(*) FROM station_copy")):
                raise SystemExit("no station copies yet: seed the catalogue first")
            await session.execute(_INSERT, {"total": total})
        async with database.engine.connect() as connection:
            await connection.execute(sa.text("ANALYZE ticket"))
        return total
    finally:
        await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m ticket_service.bench_data")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    print(f"inserted {asyncio.run(load(arguments.tickets, arguments.database_url))} tickets")


if __name__ == "__main__":
    main()
