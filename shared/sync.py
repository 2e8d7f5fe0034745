"""Offline sync: a per-service change sequence, and tombstones for what left a caller's view.

Every row of a synced table (`Synced`) carries `change_sequence`: the number of the last committed
transaction that changed it. Numbers come from one counter row per service database, taken at the commit,
so the row lock orders the commits: a transaction cannot get number n+1 until the one holding n has
committed. A client that has seen everything up to n therefore never misses a later commit with a
smaller number, whatever the clocks say (an `updated_after` timestamp could).

On PostgreSQL the database numbers each commit itself (`create_commit_numbering`): a deferred constraint
trigger on every synced table and on the tombstones takes the number inside `COMMIT`, so the counter's lock,
which every writer queues for, is held only while the server commits, never across a round trip to a
client whose event loop is busy with other requests. SQLite (one writer at a time) and a database not yet
migrated take the number with the transaction's last statement instead. Rows deleted through the
ORM leave a `deleted` tombstone; a change of one of a model's `__sync_scope__` attributes (e.g. a ticket's
owner) leaves an `out_of_scope` tombstone keyed by the old value; services add others (`anonymised`).

`changes_page` answers a list's `changes` request: the rows of the caller's view changed since the token,
in change order, and the tombstones the caller must apply. Tokens are opaque; `0` starts from scratch.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

import sqlalchemy as sa
from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.database import UTCDateTime, table_of
from shared.errors import Unprocessable
from shared.ids import new_id, utcnow
from shared.pagination import Page, PageParameters, keyset_page

T = TypeVar("T")

COUNTER = "changes"
SYNC_BATCH = 1000  # rows per `changes` answer: a station's day fits in one
_PENDING = "sync_pending"
_IN_CHUNK = 500

Reason = Literal["deleted", "anonymised", "out_of_scope"]


class Synced:
    """Mixin for the tables offline clients cache. `__sync_entity__` names the rows in tombstones;
    `__sync_scope__` lists the attributes whose old value loses a caller the row when it changes."""

    __sync_entity__: ClassVar[str]
    __sync_scope__: ClassVar[tuple[str, ...]] = ()

    change_sequence: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0", index=True)


class SyncTables:
    """The counter and tombstone tables, on a service's own metadata (so its Alembic tree has them)."""

    def __init__(self, metadata: sa.MetaData) -> None:
        self.counter = sa.Table("change_counter", metadata, *_counter_columns(), sa.PrimaryKeyConstraint("name"))
        self.tombstone = sa.Table(
            "tombstone",
            metadata,
            *_tombstone_columns(),
            sa.PrimaryKeyConstraint("id"),
            sa.Index("ix_tombstone_entity_change_sequence", "entity", "change_sequence"),
        )
        _TABLES[metadata] = self


_TABLES: dict[sa.MetaData, SyncTables] = {}


def _counter_columns() -> list[sa.Column[Any]]:
    return [sa.Column("name", sa.String(40), nullable=False), sa.Column("value", sa.BigInteger, nullable=False)]


def _tombstone_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.Uuid, nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("scope", sa.String(64), nullable=True),
        sa.Column("change_sequence", sa.BigInteger, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
    ]


def create_sync_tables(op: Any, synced_tables: Iterable[str]) -> None:
    """Called from a service's Alembic revision: the two tables, the counter row, and the column and index
    on each synced table (existing rows get 0: a first sync, from `0`, includes them)."""
    counter = op.create_table(
        "change_counter", *_counter_columns(), sa.PrimaryKeyConstraint("name", name="pk_change_counter")
    )
    op.bulk_insert(counter, [{"name": COUNTER, "value": 0}])
    op.create_table("tombstone", *_tombstone_columns(), sa.PrimaryKeyConstraint("id", name="pk_tombstone"))
    op.create_index("ix_tombstone_entity_change_sequence", "tombstone", ["entity", "change_sequence"])
    for table in synced_tables:
        op.add_column(table, sa.Column("change_sequence", sa.BigInteger, nullable=False, server_default="0"))
        op.create_index(f"ix_{table}_change_sequence", table, ["change_sequence"])


# The PostgreSQL function behind the commit numbering's triggers (one per synced table, and the tombstones').
NUMBERING_FUNCTION = "number_change"
# Where a transaction keeps its number between the triggers' firings (local to the transaction).
_NUMBER_SETTING = "doorstep.change_number"
_NUMBERED_AT_COMMIT = "sync_numbered_at_commit"


def _numbering_trigger(table: str) -> str:
    return f"number_change_{table}"


def create_commit_numbering(op: Any, synced_tables: Iterable[str]) -> None:
    """Called from a service's Alembic revision: on PostgreSQL, every synced table and the tombstones get
    their change number from a trigger deferred to the commit (the module's docstring says why). Synced
    tables are keyed by `id`. Rows written by the trigger itself (depth 1) are not numbered again."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"""
        CREATE FUNCTION {NUMBERING_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            number bigint := nullif(current_setting('{_NUMBER_SETTING}', true), '')::bigint;
        BEGIN
            IF number IS NULL THEN
                -- The counter's row lock, held until this commit ends, orders the numbers as the commits.
                UPDATE change_counter SET value = value + 1 WHERE name = '{COUNTER}' RETURNING value INTO number;
                PERFORM set_config('{_NUMBER_SETTING}', number::text, true);
            END IF;
            EXECUTE format(
                'UPDATE %I.%I SET change_sequence = $1 WHERE id = $2 AND change_sequence IS DISTINCT FROM $1',
                TG_TABLE_SCHEMA, TG_TABLE_NAME
            ) USING number, NEW.id;
            RETURN NULL;
        END
        $$
        """
    )
    for table in [*synced_tables, "tombstone"]:
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {_numbering_trigger(table)} AFTER INSERT OR UPDATE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (pg_trigger_depth() = 0) "
            f"EXECUTE FUNCTION {NUMBERING_FUNCTION}()"
        )


def drop_commit_numbering(op: Any, synced_tables: Iterable[str]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in [*synced_tables, "tombstone"]:
        op.execute(f"DROP TRIGGER {_numbering_trigger(table)} ON {table}")
    op.execute(f"DROP FUNCTION {NUMBERING_FUNCTION}()")


def _numbered_at_commit(connection: sa.Connection) -> bool:
    """Whether this database numbers its commits itself (migrated, PostgreSQL); asked once per connection."""
    known: bool | None = connection.info.get(_NUMBERED_AT_COMMIT)
    if known is None:
        known = connection.dialect.name == "postgresql" and bool(
            connection.execute(sa.text(f"SELECT to_regproc('{NUMBERING_FUNCTION}') IS NOT NULL")).scalar_one()
        )
        connection.info[_NUMBERED_AT_COMMIT] = known
    return known


@dataclass
class _Pending:
    tables: SyncTables
    rows: dict[sa.Table, set[Any]] = field(default_factory=dict)
    tombstones: list[dict[str, Any]] = field(default_factory=list)


def _pending(session: Session | AsyncSession, table: sa.Table) -> _Pending:
    pending = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _Pending(_TABLES[table.metadata])
    return pending


def _key(row: Synced) -> Any:
    # From the attributes, not the identity map: a row just inserted has no identity key yet here.
    return sa.inspect(row).mapper.primary_key_from_instance(row)[0]


def touch(session: AsyncSession, model: type[Synced], ids: Iterable[Any]) -> None:
    """Rows changed by a Core statement (the ORM does not see those): stamp them at commit too."""
    table = table_of(model)
    _pending(session, table).rows.setdefault(table, set()).update(ids)


def record_tombstone(session: AsyncSession | Session, row: Synced, reason: Reason, *, scope: str | None = None) -> None:
    """A tombstone written with this transaction's change number (e.g. `anonymised`)."""
    table = table_of(row)
    _pending(session, table).tombstones.append(
        {"entity": row.__sync_entity__, "entity_id": _key(row), "reason": reason, "scope": scope}
    )


@event.listens_for(Session, "after_flush")
def _track(session: Session, _flush_context: Any) -> None:
    # Still the flush's "before" state here: new/dirty/deleted and the attributes' old values.
    for row in chain(session.new, session.dirty, session.deleted):
        if not isinstance(row, Synced):
            continue
        table = table_of(row)
        pending = _pending(session, table)
        if row in session.deleted:
            pending.tombstones.append(
                {"entity": row.__sync_entity__, "entity_id": _key(row), "reason": "deleted", "scope": None}
            )
            continue
        if row in session.dirty and not session.is_modified(row):
            continue
        pending.rows.setdefault(table, set()).add(_key(row))
        state = sa.inspect(row)
        for name in row.__sync_scope__:
            history = state.attrs[name].history
            for old in history.deleted or ():
                if old is not None and old not in (history.added or ()):
                    pending.tombstones.append(
                        {
                            "entity": row.__sync_entity__,
                            "entity_id": _key(row),
                            "reason": "out_of_scope",
                            "scope": str(old),
                        }
                    )


@event.listens_for(Session, "before_commit")
def _stamp(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None or not (pending.rows or pending.tombstones):
        return
    if _numbered_at_commit(session.connection()):
        # The rows are numbered by the database at COMMIT; tombstones too, once written.
        if pending.tombstones:
            _write_tombstones(session, pending, 0)
        return
    counter = pending.tables.counter
    # The counter row stays locked until this commit: numbers are handed out in commit order. Every writer
    # queues for that lock, so it is taken by the commit's last statement before COMMIT itself.
    next_number = counter.update().where(counter.c.name == COUNTER).values(value=counter.c.value + 1)
    stamps = [
        (table, list(ids)[start : start + _IN_CHUNK])
        for table, ids in pending.rows.items()
        for start in range(0, len(ids), _IN_CHUNK)
    ]
    if session.get_bind().dialect.name == "postgresql":
        # One statement: the number and the rows stamped with it (data-modifying CTEs run whole).
        taken = next_number.returning(counter.c.value).cte("next_change")
        statement = sa.select(taken.c.value)
        number = sa.select(taken.c.value).scalar_subquery()
        for index, (table, chunk) in enumerate(stamps):
            statement = statement.add_cte(_stamp_rows(table, chunk, number).cte(f"stamped_{index}"))
        sequence = session.execute(statement).scalar_one()
    else:  # SQLite has no UPDATE in WITH; it also has one writer at a time
        sequence = session.execute(next_number.returning(counter.c.value)).scalar_one()
        for table, chunk in stamps:
            session.execute(_stamp_rows(table, chunk, sequence))
    if pending.tombstones:
        _write_tombstones(session, pending, sequence)


def _write_tombstones(session: Session, pending: _Pending, sequence: int) -> None:
    now = utcnow()
    session.execute(
        pending.tables.tombstone.insert(),
        [
            {**tombstone, "id": new_id(), "change_sequence": sequence, "recorded_at": now}
            for tombstone in pending.tombstones
        ],
    )


def _stamp_rows(table: sa.Table, ids: list[Any], sequence: Any) -> sa.Update:
    key = next(iter(table.primary_key.columns))
    # Columns with an `onupdate` (updated_at) keep their value: stamping is not a change of the row.
    kept = {column.name: column for column in table.columns if column.onupdate is not None}
    return table.update().where(key.in_(ids)).values(change_sequence=sequence, **kept)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangesToken:
    sequence: int  # everything up to here was sent
    after_id: uuid.UUID | None = None  # ... and, at `sequence` itself, every row up to this id


START = ChangesToken(-1)


def encode_changes(token: ChangesToken) -> str:
    raw = f"{token.sequence}" + (f".{token.after_id.hex}" if token.after_id else "")
    return "c" + base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_changes(text: str) -> ChangesToken:
    if text == "0":
        return START
    try:
        if not text.startswith("c"):
            raise ValueError(text)
        body = text[1:]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
        sequence, _, after = raw.partition(".")
        token = ChangesToken(int(sequence), uuid.UUID(hex=after) if after else None)
        if token.sequence < 0:
            raise ValueError(text)
        return token
    except (ValueError, TypeError, UnicodeDecodeError) as error:
        raise Unprocessable(
            "The changes token is not one this API gave out: pass 0 to sync from scratch.",
            field="changes",
            code="invalid_cursor",
        ) from error


async def changes_parameter(
    changes: Annotated[
        str | None,
        Query(
            max_length=100,
            description="Offline sync: `0` for everything, then the previous answer's `changes`. Answers "
            "the rows changed since then, oldest change first, and `tombstones` for rows to drop.",
        ),
    ] = None,
) -> ChangesToken | None:
    return decode_changes(changes) if changes is not None else None


class Tombstone(BaseModel):
    id: uuid.UUID
    deleted: Literal[True] = True
    reason: Reason = Field(
        description="deleted; anonymised (the resident's personal data was removed: drop the cached copy); "
        "out_of_scope (moved out of what the caller may see, or out of the list's filters)"
    )


class SyncPage(Page[T], Generic[T]):
    tombstones: list[Tombstone] = Field(
        default_factory=list, description="Only with `changes`: ids to drop from the cache."
    )
    changes: str | None = Field(
        None, description="Only with `changes`: the token for the next sync (keep it once `next_cursor` is null)."
    )


@dataclass
class Changes:
    rows: list[Any]
    tombstones: list[Tombstone]
    token: str
    more: bool  # the batch was full: call again with `token` at once


async def changes_page(
    session: AsyncSession,
    model: Any,
    view: sa.Select[Any],
    token: ChangesToken,
    *,
    scope: sa.Select[Any] | None = None,
    caller_keys: Sequence[str] | None = None,
    batch: int | None = None,
) -> Changes:
    """The rows of `view` (a `select(model)` with the caller's scope and the list's filters) changed since
    `token`, and the tombstones the caller must apply.

    `scope` is the same select without the list's filters (None: the same as `view`): rows of it changed
    but no longer matching the filters come back as `out_of_scope` tombstones. `caller_keys` are the values
    an `out_of_scope` tombstone's old scope value must match (the caller's ids, the filters' ids); None
    means every tombstone concerns the caller (district-wide readers).
    """
    batch = batch or SYNC_BATCH
    tables = _TABLES[model.__table__.metadata]
    high = await session.scalar(sa.select(tables.counter.c.value).where(tables.counter.c.name == COUNTER)) or 0
    key = model.id
    sequence = model.change_sequence
    since = (
        sa.or_(sequence > token.sequence, sa.and_(sequence == token.sequence, key > token.after_id))
        if token.after_id is not None
        else sequence > token.sequence
    )
    stones = tables.tombstone.c
    entity = model.__sync_entity__
    # An anonymised row is sent as its tombstone, not as an item, until it changes again.
    anonymised = sa.exists().where(
        stones.entity == entity,
        stones.entity_id == key,
        stones.reason == "anonymised",
        stones.change_sequence >= sequence,
    )
    rows = list(
        await session.scalars(view.where(since, sequence <= high, ~anonymised).order_by(sequence, key).limit(batch + 1))
    )
    more = len(rows) > batch
    if more:
        rows = rows[:batch]
        last = rows[-1]
        upper, next_token = last.change_sequence, ChangesToken(last.change_sequence, last.id)
    else:
        upper, next_token = high, ChangesToken(high)

    view_ids = view.with_only_columns(key)
    scope_ids = (scope if scope is not None else view).with_only_columns(key)
    keyed = stones.scope.in_(list(caller_keys)) if caller_keys is not None else sa.true()
    found = await session.execute(
        sa.select(stones.entity_id, stones.reason)
        .where(
            stones.entity == entity,
            stones.change_sequence > token.sequence,
            stones.change_sequence <= upper,
            sa.or_(
                sa.and_(stones.reason == "deleted", sa.or_(stones.scope.is_(None), keyed)),
                sa.and_(stones.reason == "anonymised", sa.or_(keyed, stones.entity_id.in_(scope_ids))),
                sa.and_(stones.reason == "out_of_scope", keyed, stones.entity_id.not_in(view_ids)),
            ),
        )
        .order_by(stones.change_sequence)
    )
    tombstones: dict[uuid.UUID, Reason] = {}  # the query keeps only the three reasons
    for entity_id, reason in found.all():
        tombstones[entity_id] = reason
    if scope is not None:
        # Changed, still the caller's, but no longer matching the list's filters.
        left = await session.scalars(
            scope.with_only_columns(key).where(sequence > token.sequence, sequence <= upper, key.not_in(view_ids))
        )
        for entity_id in left:
            tombstones.setdefault(entity_id, "out_of_scope")
    sent = {row.id for row in rows}
    return Changes(
        rows=rows,
        tombstones=[
            Tombstone(id=entity_id, reason=reason) for entity_id, reason in tombstones.items() if entity_id not in sent
        ],
        token=encode_changes(next_token),
        more=more,
    )


@dataclass
class Listing:
    """One answer of a list that offline clients sync: a page, or the changes since a token."""

    rows: list[Any]
    next_cursor: str | None
    tombstones: list[Tombstone] = field(default_factory=list)
    changes: str | None = None

    def page(self, items: list[Any]) -> SyncPage[Any]:
        return SyncPage(items=items, next_cursor=self.next_cursor, tombstones=self.tombstones, changes=self.changes)


async def listing(
    session: AsyncSession,
    model: Any,
    query: sa.Select[Any],
    parameters: PageParameters,
    changes: ChangesToken | None,
    *,
    scope: sa.Select[Any] | None = None,
    caller_keys: Sequence[str] | None = None,
) -> Listing:
    """A list newest first (`created_at`, then id), or with `changes` what changed since the token."""
    if changes is None:
        order = [(model.created_at, True)]
        rows, next_cursor = await keyset_page(session, query, model.id, parameters, order=order, sort="-created")
        return Listing(rows, next_cursor)
    found = await changes_page(session, model, query, changes, scope=scope, caller_keys=caller_keys)
    return Listing(found.rows, found.token if found.more else None, found.tombstones, found.token)
