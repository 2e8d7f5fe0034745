"""The outbox and inbox tables. Every service has both in its own database.

They live on their own metadata so each service's Alembic env can include them beside its own tables,
and `create_messaging_tables` lets each service's first migration create them without copying DDL.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from shared.database import UTCDateTime, new_metadata

messaging_metadata = new_metadata()

_UNSENT = "published_at IS NULL"


def _outbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
    ]


def _inbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("consumer", sa.String(100), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("received_at", UTCDateTime, nullable=False),
    ]


outbox_message = sa.Table(
    "outbox_message",
    messaging_metadata,
    *_outbox_columns(),
    sa.PrimaryKeyConstraint("id"),
    # Only unsent rows are indexed: the relay's query stays fast however many rows were sent.
    sa.Index(
        "ix_outbox_message_unsent",
        "next_attempt_at",
        postgresql_where=sa.text(_UNSENT),
        sqlite_where=sa.text(_UNSENT),
    ),
)

inbox_message = sa.Table(
    "inbox_message",
    messaging_metadata,
    *_inbox_columns(),
    # (message id, consumer) unique: a redelivered event is recognised and changes nothing.
    sa.PrimaryKeyConstraint("message_id", "consumer"),
)


def create_messaging_tables(op: Any) -> None:
    """Called from a service's first Alembic revision."""
    op.create_table("outbox_message", *_outbox_columns(), sa.PrimaryKeyConstraint("id", name="pk_outbox_message"))
    op.create_index(
        "ix_outbox_message_unsent",
        "outbox_message",
        ["next_attempt_at"],
        postgresql_where=sa.text(_UNSENT),
        sqlite_where=sa.text(_UNSENT),
    )
    op.create_table(
        "inbox_message",
        *_inbox_columns(),
        sa.PrimaryKeyConstraint("message_id", "consumer", name="pk_inbox_message"),
    )


def drop_messaging_tables(op: Any) -> None:
    op.drop_table("inbox_message")
    op.drop_index("ix_outbox_message_unsent", table_name="outbox_message")
    op.drop_table("outbox_message")
