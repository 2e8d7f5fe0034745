"""Backups that restore: the nightly CronJobs' own script dumps real databases, and the documented drill
brings them back row for row.

The five service databases are made on the real PostgreSQL, migrated to head and filled by the demo seed
through the services' own code (the embedded launcher, pointed at PostgreSQL instead of SQLite). The
script is the one the CronJobs mount (ConfigMap doorstep-backup, read from the rendered dev overlay), run
with the CronJob's environment except the URL (this test's database, in the SQLAlchemy form the Secrets
hold) and the directory (a tmp_path). Each dump is restored into a new database with the drill's
pg_restore options (docs/operations.md, "Back up and restore"), migrated to head again (a no-op), and
compared with its source: every table's row count and checksum, the sequences, the columns, constraints
and indexes. The manifests' own rules (schedule, time zone, one CronJob per database, network paths)
are checked on both overlays.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from shared.migrations import head_revision, upgrade
from tests.conftest import POSTGRES_URL, create_database, drop_database, require, running
from tests.deploy.test_manifests import (
    OPERATIONS,
    OVERLAYS,
    SERVICES,
    Rendered,
    container_problems,
    internet_rules,
    peer_selects,
    pod_labels,
    pod_problems,
    render,
    rules,
)

BACKUP_CLAIM = "doorstep-backups"
SCRIPT_CONFIGMAP = "doorstep-backup"
# The drill's restore: objects owned by whoever restores (the service's role), all or nothing.
RESTORE_OPTIONS = ("--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction")
DAY_SECONDS = 86400


def client_tool(name: str) -> str:
    """A PostgreSQL client program; missing, it skips (fails with REQUIRE_SERVICES=1, as the services do)."""
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{name} is not installed and REQUIRE_SERVICES=1 (apt-get install postgresql-client)")
    pytest.skip(f"{name} is not installed")


# --- the manifests -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return Rendered(request.param, render(request.param))


def cron_job(rendered: Rendered, service: str) -> dict[str, Any]:
    return rendered.one("CronJob", f"{service}-backup")


def pod_template(job: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = job["spec"]["jobTemplate"]["spec"]["template"]
    return template


def backup_container(job: dict[str, Any]) -> dict[str, Any]:
    [container] = pod_template(job)["spec"]["containers"]
    return container


def backup_script(rendered: Rendered) -> str:
    data = rendered.config_data("ConfigMap", SCRIPT_CONFIGMAP)
    assert data is not None, f"ConfigMap {SCRIPT_CONFIGMAP} is not rendered"
    return data["backup.sh"]


def postgres_major(image: str) -> int:
    match = re.fullmatch(r"postgres:(\d+)[\w.-]*", image)
    assert match, f"{image}: not a pinned postgres:<major>... tag"
    return int(match.group(1))


@pytest.mark.parametrize("service", SERVICES)
def test_each_database_has_a_nightly_hardened_cron_job(rendered: Rendered, service: str):
    job = cron_job(rendered, service)
    spec = job["spec"]
    assert re.fullmatch(r"\d+ [0-5] \* \* \*", spec["schedule"]), "nightly, before 06:00"
    assert spec["timeZone"] == "Asia/Shanghai"
    assert spec["concurrencyPolicy"] == "Forbid"
    job_spec = spec["jobTemplate"]["spec"]
    assert 0 < job_spec["backoffLimit"] <= 6 and 0 < job_spec["activeDeadlineSeconds"] <= 4 * 3600
    template = pod_template(job)
    assert pod_labels(template)["app.kubernetes.io/component"] == "backup"
    assert template["spec"]["restartPolicy"] in ("Never", "OnFailure")
    assert template["spec"]["serviceAccountName"] == service
    container = backup_container(job)
    assert pod_problems(template["spec"]) == [] and container_problems(container) == []
    # pg_dump aborts on a server newer than itself: never older than the PostgreSQL the dev overlay runs.
    if rendered.overlay == "dev":
        server = rendered.one("StatefulSet", "postgres")["spec"]["template"]["spec"]["containers"][0]["image"]
        assert postgres_major(container["image"]) >= postgres_major(server)
    assert container["command"] == ["sh", "/opt/doorstep-backup/backup.sh"]
    environment = {variable["name"]: variable for variable in container["env"]}
    assert environment["SERVICE"]["value"] == service
    # The service's own database: the Secret and key its Deployment reads (<service>-secrets, DATABASE_URL).
    served = rendered.one("Deployment", service)["spec"]["template"]["spec"]["containers"][0]["env"]
    [database_url] = [v for v in served if v["name"] == f"{service.upper()}_DATABASE_URL"]
    assert environment["DATABASE_URL"]["valueFrom"] == database_url["valueFrom"]
    assert re.fullmatch(rf"{service}-secrets(-[a-z0-9]{{10}})?", database_url["valueFrom"]["secretKeyRef"]["name"])
    assert int(environment["RETENTION_DAYS"]["value"]) >= 7
    volumes = {volume["name"]: volume for volume in template["spec"]["volumes"]}
    mounts = {mount["mountPath"]: volumes[mount["name"]] for mount in container["volumeMounts"]}
    backups = mounts[environment["BACKUP_DIRECTORY"]["value"]]
    assert backups["persistentVolumeClaim"]["claimName"] == BACKUP_CLAIM
    assert mounts["/opt/doorstep-backup"]["configMap"]["name"] == SCRIPT_CONFIGMAP
    rendered.one("PersistentVolumeClaim", BACKUP_CLAIM)


def test_the_cron_jobs_take_turns_on_the_one_claim(rendered: Rendered):
    """The claim is ReadWriteOnce: two dumps at the same minute could land on two nodes."""
    schedules = [cron_job(rendered, service)["spec"]["schedule"] for service in SERVICES]
    assert len(set(schedules)) == len(SERVICES)
    assert {item["metadata"]["name"] for item in rendered.kind("CronJob")} == {f"{s}-backup" for s in SERVICES}


def test_backup_pods_reach_postgresql_and_nothing_else(rendered: Rendered):
    for service in SERVICES:
        labels = pod_labels(pod_template(cron_job(rendered, service)))
        egress = rules(rendered, labels, "Egress")
        ports = set().union(*(ports for _, ports in egress))
        assert ports == {53, 5432}, f"{service}-backup may reach ports {sorted(ports)}"
        assert internet_rules(rendered, labels) == []
        # Nothing comes in: no Service, no gateway, no Prometheus (the pod serves nothing).
        assert rules(rendered, labels, "Ingress") == []
        if rendered.overlay == "dev":
            postgres = pod_labels(rendered.one("StatefulSet", "postgres")["spec"]["template"])
            assert any(5432 in ports and peer_selects(peer, postgres) for peer, ports in egress)
            allowed = rules(rendered, postgres, "Ingress")
            assert any(5432 in ports and peer_selects(peer, labels) for peer, ports in allowed)
        else:
            assert any(5432 in ports and "ipBlock" in peer for peer, ports in egress)


def test_the_documented_drill_is_the_one_tested():
    text = OPERATIONS.read_text(encoding="utf-8")
    section = text.split("## Back up and restore", 1)[1].split("\n## ", 1)[0]
    assert "pg_restore " + " ".join(RESTORE_OPTIONS) in section
    for name in (BACKUP_CLAIM, *(f"{service}-backup" for service in SERVICES[:1])):
        assert name in section


# --- the drill on real PostgreSQL --------------------------------------------------------------------------


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
async def seeded(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, str]]:
    """The five service databases at head with the demo data (libpq URLs), dropped at the end."""
    require(POSTGRES_URL, 5432, "PostgreSQL")
    import gateway.embedded as embedded
    from gateway.settings import GatewaySettings
    from shared.settings import Mode
    from tests.templates import settle

    urls = {service: await create_database(f"test_backup_{service}_{uuid.uuid4().hex[:8]}") for service in SERVICES}

    def on_postgres(definition: Any, var_directory: Path, **overrides: Any) -> Any:
        # The embedded launcher as `make run` runs it (migrations, the seed of every service in turn, its
        # events delivered), on PostgreSQL instead of SQLite.
        url = urls[definition.name]
        return definition.settings_factory().model_copy(
            update={"mode": Mode.embedded, "database_url": url, **overrides}
        )

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(embedded, "service_settings", on_postgres)
            unlimited = GatewaySettings(rate_limit_per_token_per_minute=0, rate_limit_per_address_per_minute=0)
            system = embedded.build(tmp_path_factory.mktemp("var"), gateway_settings=unlimited, migrate=True, seed=True)
            async with running(system.gateway):
                await settle(system)
        yield urls
    finally:
        for url in urls.values():
            await drop_database(database_name(url))


@pytest.fixture
async def restored_databases() -> AsyncIterator[list[str]]:
    """Names of the restore targets a test makes; dropped after it."""
    names: list[str] = []
    yield names
    for name in names:
        await drop_database(name)


async def new_database(names: list[str], service: str) -> str:
    name = f"test_restore_{service}_{uuid.uuid4().hex[:8]}"
    names.append(name)
    return await create_database(name)


def run_backup_script(script: str, job: dict[str, Any], database_url: str, directory: Path) -> Path:
    """The CronJob's command with its environment, except the database and the claim's mount."""
    environment = {"PATH": os.environ["PATH"]}
    for variable in backup_container(job)["env"]:
        if "value" in variable:
            environment[variable["name"]] = variable["value"]
    service = environment["SERVICE"]
    # The Secrets hold the URL the services read: SQLAlchemy's, with the driver in the scheme.
    environment["DATABASE_URL"] = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    environment["BACKUP_DIRECTORY"] = str(directory)
    before = set((directory / service).glob("*.dump")) if (directory / service).exists() else set()
    result = subprocess.run(["sh", "-c", script], env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "postgres@" not in result.stdout + result.stderr, "the script logs the database URL"
    [written] = set((directory / service).glob(f"{service}-*.dump")) - before
    assert re.fullmatch(rf"{service}-\d{{8}}T\d{{6}}Z\.dump", written.name)
    return written


def restore(dump: Path, database_url: str, *extra: str) -> None:
    command = [client_tool("pg_restore"), *RESTORE_OPTIONS, *extra, f"--dbname={database_url}", str(dump)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


async def snapshot(database_url: str) -> dict[str, Any]:
    """What a restore must give back: per table its row count and a checksum of its rows (ordered by
    their text, which also orders tables without a primary key), the sequences, and the schema."""
    connection = await asyncpg.connect(database_url)
    try:
        tables = await connection.fetch(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
            " AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"
        )
        rows = {}
        for schema, table in tables:
            qualified = f'"{schema}"."{table}"'
            count, checksum = await connection.fetchrow(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {qualified} t"
            )
            rows[qualified] = (count, checksum)
        sequences = await connection.fetch(
            "SELECT schemaname, sequencename, last_value FROM pg_sequences ORDER BY 1, 2"
        )
        columns = await connection.fetch(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY 1, 2"
        )
        constraints = await connection.fetch(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        )
        indexes = await connection.fetch("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1")
    finally:
        await connection.close()
    return {
        "rows": rows,
        "sequences": [tuple(row) for row in sequences],
        "columns": [tuple(row) for row in columns],
        "constraints": [tuple(row) for row in constraints],
        # A partial index's predicate comes back equivalent but spelt differently (PostgreSQL re-parses a
        # varchar `IN (...)` as an array of casts): its columns and method are compared, and that it is partial.
        "indexes": [(definition.split(" WHERE ", 1)[0], " WHERE " in definition) for (definition,) in indexes],
    }


def migrate_to_head(service: str, database_url: str) -> None:
    from gateway.embedded import SERVICE_MODULES

    definition = SERVICE_MODULES[service].definition
    upgrade(definition.migrations_directory, database_url.replace("postgresql://", "postgresql+asyncpg://", 1), service)


async def revision(service: str, database_url: str) -> str | None:
    connection = await asyncpg.connect(database_url)
    try:
        value: str | None = await connection.fetchval(f"SELECT version_num FROM {service}_alembic_version")
    finally:
        await connection.close()
    return value


@pytest.fixture(scope="module")
def dev() -> Rendered:
    return Rendered("dev", render("dev"))


async def test_the_nightly_dumps_restore_row_for_row_by_the_documented_drill(
    seeded: dict[str, str], restored_databases: list[str], dev: Rendered, tmp_path: Path
):
    client_tool("pg_dump")
    script = backup_script(dev)
    timings = []
    for service, source in seeded.items():
        expected = await snapshot(source)
        filled = [table for table, (count, _) in expected["rows"].items() if count]
        assert len(filled) >= 8, f"{service}: the seed filled only {filled}"

        started = time.perf_counter()
        dump = await asyncio.to_thread(run_backup_script, script, cron_job(dev, service), source, tmp_path)
        dumped = time.perf_counter()
        target = await new_database(restored_databases, service)
        await asyncio.to_thread(restore, dump, target)
        restored = time.perf_counter()
        await asyncio.to_thread(migrate_to_head, service, target)
        migrated = time.perf_counter()

        from gateway.embedded import SERVICE_MODULES

        assert await revision(service, target) == head_revision(
            SERVICE_MODULES[service].definition.migrations_directory
        )
        actual = await snapshot(target)
        assert actual == expected, f"{service}: the restored database differs from its source"
        rows = sum(count for count, _ in expected["rows"].values())
        timings.append((service, rows, dump.stat().st_size, dumped - started, restored - dumped, migrated - restored))

    print("\nservice       rows   dump bytes  dump s  restore s  migrate s")
    for service, rows, size, dump_seconds, restore_seconds, migrate_seconds in timings:
        print(
            f"{service:<12} {rows:>6} {size:>11} {dump_seconds:>7.2f} {restore_seconds:>10.2f} {migrate_seconds:>10.2f}"
        )


async def test_the_comparison_catches_a_restore_that_lost_a_table(
    seeded: dict[str, str], restored_databases: list[str], dev: Rendered, tmp_path: Path
):
    """The drill's check can fail: a restore that skips the ticket history's data (ticket_change) is caught."""
    dump = await asyncio.to_thread(
        run_backup_script, backup_script(dev), cron_job(dev, "ticket"), seeded["ticket"], tmp_path
    )
    command = [client_tool("pg_restore"), "--list", str(dump)]
    listing = (await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, check=True)).stdout
    kept = [line for line in listing.splitlines() if not re.search(r"TABLE DATA public ticket_change \S+$", line)]
    assert len(kept) == len(listing.splitlines()) - 1
    (tmp_path / "list").write_text("\n".join(kept), encoding="utf-8")
    target = await new_database(restored_databases, "ticket")
    await asyncio.to_thread(restore, dump, target, f"--use-list={tmp_path / 'list'}")
    expected, actual = await snapshot(seeded["ticket"]), await snapshot(target)
    differing = [table for table in expected["rows"] if expected["rows"][table] != actual["rows"][table]]
    assert differing == ['"public"."ticket_change"']


def test_the_script_keeps_retention_days_of_dumps_and_deletes_older_ones(
    seeded: dict[str, str], dev: Rendered, tmp_path: Path
):
    job = cron_job(dev, "catalog")
    days = int({variable["name"]: variable.get("value") for variable in backup_container(job)["env"]}["RETENTION_DAYS"])
    directory = tmp_path / "catalog"
    directory.mkdir()
    now = time.time()
    aged = {
        "catalog-20000101T180000Z.dump": now - (days + 1) * DAY_SECONDS,  # past retention: deleted
        "catalog-20000102T180000Z.dump": now - (days - 1) * DAY_SECONDS,  # within: kept
        "catalog-20000103T180000Z.dump.partial": now - 2 * 3600,  # a killed run's leftover: deleted
        "ticket-20000101T180000Z.dump": now - (days + 1) * DAY_SECONDS,  # another database's: not touched
    }
    for name, modified in aged.items():
        (directory / name).write_bytes(b"old")
        os.utime(directory / name, (modified, modified))
    written = run_backup_script(backup_script(dev), job, seeded["catalog"], tmp_path)
    assert sorted(path.name for path in directory.iterdir()) == sorted(
        [written.name, "catalog-20000102T180000Z.dump", "ticket-20000101T180000Z.dump"]
    )


def test_a_failed_dump_leaves_no_file_and_deletes_nothing(dev: Rendered, tmp_path: Path):
    client_tool("pg_dump")
    require(POSTGRES_URL, 5432, "PostgreSQL")
    job = cron_job(dev, "ticket")
    old = tmp_path / "ticket" / "ticket-20000101T180000Z.dump"
    old.parent.mkdir()
    old.write_bytes(b"old")
    os.utime(old, (0, 0))
    environment = {"PATH": os.environ["PATH"]}
    environment |= {v["name"]: v["value"] for v in backup_container(job)["env"] if "value" in v}
    environment |= {"DATABASE_URL": f"{POSTGRES_URL}/no_such_database", "BACKUP_DIRECTORY": str(tmp_path)}
    result = subprocess.run(["sh", "-c", backup_script(dev)], env=environment, capture_output=True, text=True)
    assert result.returncode != 0
    assert [path.name for path in old.parent.iterdir()] == [old.name]
