"""Offline sync: the change counter, tombstones, and each ticket's change number.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:00:00.000000
"""

from alembic import op

from shared.sync import create_sync_tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_sync_tables(op, ["ticket"])


def downgrade() -> None:
    op.drop_index("ix_ticket_change_sequence", table_name="ticket")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("change_sequence")
    op.drop_table("tombstone")
    op.drop_table("change_counter")
