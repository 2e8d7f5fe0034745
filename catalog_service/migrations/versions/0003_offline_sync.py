"""Offline sync: the change counter, tombstones, and a change number on every list the app caches.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:00:00.000000
"""

from alembic import op

from shared.sync import create_sync_tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SYNCED = ["station", "community", "department", "staff_member", "optional_item", "resource", "demand"]


def upgrade() -> None:
    create_sync_tables(op, SYNCED)


def downgrade() -> None:
    for table in SYNCED:
        op.drop_index(f"ix_{table}_change_sequence", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("change_sequence")
    op.drop_table("tombstone")
    op.drop_table("change_counter")
