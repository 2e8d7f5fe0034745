"""Transfers, returns, duplicates, backstop requests.

A ticket keeps the station it was last transferred from (until it is returned there), the parent it
duplicates and, on a parent, the list of its duplicates; and its owner's pending request for the backstop
(when and by whom: the reason is a history row's note).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.database import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("transferred_from_station_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("duplicate_of_id", sa.Uuid(), nullable=True))
        batch.add_column(
            sa.Column(
                "duplicate_ids",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )
        batch.add_column(sa.Column("backstop_requested_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("backstop_requested_by", sa.String(length=64), nullable=True))
        batch.create_index("ix_ticket_duplicate_of_id", ["duplicate_of_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.drop_index("ix_ticket_duplicate_of_id")
        batch.drop_column("backstop_requested_by")
        batch.drop_column("backstop_requested_at")
        batch.drop_column("duplicate_ids")
        batch.drop_column("duplicate_of_id")
        batch.drop_column("transferred_from_station_id")
