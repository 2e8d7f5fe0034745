"""Idempotency-Key records move to the kernel's table (every POST that acts, the stored answer replayed);
each ticket gets the `version` its ETag carries (If-Match).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime
from shared.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The old records pointed at the ticket they made; they expire within a day anyway, so they go.
    op.drop_table("idempotency_record")
    create_idempotency_table(op)
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("version")
    drop_idempotency_table(op)
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name="fk_idempotency_record_ticket_id_ticket"),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_record"),
        sa.UniqueConstraint("caller", "key", name="uq_idempotency_record_caller_key"),
    )
