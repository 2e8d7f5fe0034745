"""Alembic, the same way for every service: one tree per service, one version table per service.

A service's `migrations/env.py` calls `run_env`; operators and the launchers call `upgrade`.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def migration_state(migrations_directory: Path, current: str | None) -> tuple[bool, str]:
    """Ready when the database is at this code's head, or ahead of it: during a rolling deploy the
    migration Job runs first and the previous pods keep serving until they are replaced."""
    head = head_revision(migrations_directory)
    if current == head:
        return True, f"at head {head}"
    script = ScriptDirectory.from_config(alembic_config(migrations_directory, "sqlite://", "unused"))
    try:
        known = current is not None and script.get_revision(current) is not None
    except Exception:  # a revision this code has never heard of: a newer release migrated the database
        known = False
    if current is not None and not known:
        return True, f"at {current}, ahead of this code's head {head}"
    return False, f"at {current}, behind head {head}"


def version_table(service_name: str) -> str:
    return f"{service_name}_alembic_version"


def alembic_config(migrations_directory: Path, database_url: str, service_name: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_directory))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["service_name"] = service_name
    return config


def upgrade(migrations_directory: Path, database_url: str, service_name: str, revision: str = "head") -> None:
    """Bring the database to `revision` (sync; call it in a thread from async code)."""
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(migrations_directory, database_url, service_name), revision)


@cache
def head_revision(migrations_directory: Path) -> str | None:
    script = ScriptDirectory.from_config(alembic_config(migrations_directory, "sqlite://", "unused"))
    return script.get_current_head()


async def database_revision(engine: AsyncEngine, service_name: str) -> str | None:
    def read(connection: Connection) -> str | None:
        migration_context = MigrationContext.configure(connection, opts={"version_table": version_table(service_name)})
        return migration_context.get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


def _render_item(kind: str, item: Any, autogen_context: Any) -> str | bool:
    # Autogenerate writes our UTC timestamp type as an import instead of a dotted path.
    if kind == "type" and type(item).__name__ == "UTCDateTime":
        autogen_context.imports.add("from shared.database import UTCDateTime")
        return "UTCDateTime()"
    return False


def run_env(target_metadata: MetaData | list[MetaData]) -> None:
    """The body of every service's `env.py`."""
    config = context.config
    service_name = config.attributes.get("service_name") or config.get_main_option("service_name")
    url = config.get_main_option("sqlalchemy.url")
    if not service_name or not url:  # both set by alembic_config
        raise RuntimeError("alembic needs the options service_name and sqlalchemy.url")
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "version_table": version_table(service_name),
        "render_as_batch": url.startswith("sqlite"),  # SQLite alters tables by copying them
        "compare_type": True,
        "render_item": _render_item,
    }

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(run_async())
        return
    # Called from async code (tests, the embedded launcher): migrate on a thread with its own loop.
    with ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(asyncio.run, run_async()).result()
