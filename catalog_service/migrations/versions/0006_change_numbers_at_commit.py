"""Offline sync: PostgreSQL numbers each commit's changed rows and tombstones inside COMMIT.

The change number was taken by the transaction's last statement before COMMIT, holding the counter's row
lock, which every writer queues for, across a round trip to the service; a trigger deferred to the commit
takes it in the server instead (shared/sync.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 08:00:00.000000
"""

from alembic import op

from shared.sync import create_commit_numbering, drop_commit_numbering

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The synced tables of revision 0003.
SYNCED = ["station", "community", "department", "staff_member", "optional_item", "resource", "demand"]


def upgrade() -> None:
    create_commit_numbering(op, SYNCED)


def downgrade() -> None:
    drop_commit_numbering(op, SYNCED)
