"""Built once per test process, copied per test: migrated SQLite databases and the seeded embedded system.

Migrating five SQLite databases and seeding the demo data costs seconds; copying the files costs
milliseconds. Each test still gets its own files in its own directory, so tests stay independent, and
each pytest-xdist worker (a process of its own) builds its own templates.
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from shared.service import ServiceDefinition, run_migrations_sync
from shared.settings import ServiceSettings

_root: Path | None = None
_migrated: dict[str, Path] = {}


def _template_root() -> Path:
    global _root
    if _root is None:
        _root = Path(tempfile.mkdtemp(prefix="doorstep-templates-"))
        atexit.register(shutil.rmtree, _root, ignore_errors=True)
    return _root


def _sqlite_path(database_url: str) -> Path | None:
    if not database_url.startswith("sqlite"):
        return None
    path = database_url.split("///", 1)[-1]
    return None if not path or path == ":memory:" else Path(path)


def checkpoint(database: Path) -> None:
    """Moves the write-ahead log into the database file, so that copying the file alone copies everything."""
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def copy_databases(source: Path, target: Path) -> None:
    """Copies a template directory (databases checkpointed, any other files) into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name.endswith(("-wal", "-shm")):
            continue
        if item.is_dir():
            shutil.copytree(item, target / item.name, dirs_exist_ok=True)
        else:
            shutil.copyfile(item, target / item.name)


def migrated_template(definition: ServiceDefinition, settings: ServiceSettings) -> Path:
    """The service's SQLite database at head, migrated once per process."""
    template = _migrated.get(definition.name)
    if template is None:
        template = _template_root() / "migrated" / definition.name / f"{definition.name}.db"
        template.parent.mkdir(parents=True, exist_ok=True)
        run_migrations_sync(definition, settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{template}"}))
        checkpoint(template)
        _migrated[definition.name] = template
    return template


def migrate(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    """`run_migrations_sync`, except that a new SQLite file is a copy of one migrated before."""
    path = _sqlite_path(settings.database_url)
    if path is None or path.exists():
        run_migrations_sync(definition, settings)
        return
    template = migrated_template(definition, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)


async def migrate_async(definition: ServiceDefinition, settings: ServiceSettings) -> None:
    await asyncio.to_thread(migrate, definition, settings)


def migrate_embedded(var_directory: Path, service_overrides: dict[str, Any] | None = None) -> None:
    """The embedded system's five databases at head in `var_directory` (no demo data)."""
    from gateway.embedded import SERVICE_MODULES, service_settings

    for module in SERVICE_MODULES.values():
        migrate(module.definition, service_settings(module.definition, var_directory, **(service_overrides or {})))


async def settle(system: Any, timeout: float = 60.0) -> None:
    """Waits until every event the seed caused has been delivered: no service has an unsent outbox row
    and no delivery waits for a retry. A copy of the databases is then a system at rest."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        published = 0
        for app in system.services.values():
            published += await app.state.runtime.relay.publish_batch()
        if not published and not getattr(system.bus, "_retries", ()):
            return
        if loop.time() > deadline:
            raise AssertionError("the seeded embedded system did not come to rest")
        await asyncio.sleep(0.05)


async def seeded_embedded_template(directory: Path) -> Path:
    """Builds the embedded system as `make run` does (migrations, demo data) in `directory`, lets it come
    to rest, stops it and checkpoints its databases."""
    from gateway.embedded import build
    from gateway.settings import GatewaySettings
    from tests.conftest import running

    unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
    migrate_embedded(directory)
    system = build(directory, gateway_settings=unlimited, migrate=False, seed=True)
    async with running(system.gateway):
        await settle(system)
    await asyncio.to_thread(checkpoint_all, directory)
    return directory


def checkpoint_all(directory: Path) -> None:
    for database in directory.glob("*.db"):
        checkpoint(database)


def build_embedded(
    target: Path,
    template: Path | None,
    *,
    gateway_settings: Any = None,
    service_overrides: dict[str, Any] | None = None,
) -> Any:
    """`gateway.embedded.build` on a copy of `template` (seeded); with no template, migrated and unseeded."""
    from gateway.embedded import build

    if template is None:
        migrate_embedded(target, service_overrides)
    else:
        copy_databases(template, target)
    return build(
        target, gateway_settings=gateway_settings, migrate=False, seed=False, service_overrides=service_overrides
    )
