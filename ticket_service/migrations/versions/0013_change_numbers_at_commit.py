"""Offline sync: PostgreSQL numbers each commit's changed tickets and tombstones inside COMMIT.

The change number was taken by the transaction's last statement before COMMIT, so the counter's row lock,
which every writer queues for, was held while the statement's answer went back to the service and the
service's event loop came round to sending COMMIT: under load most ticket connections waited on it.
A trigger deferred to the commit takes the number in the server instead (shared/sync.py).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 08:00:00.000000
"""

from alembic import op

from shared.sync import create_commit_numbering, drop_commit_numbering

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SYNCED = ["ticket"]


def upgrade() -> None:
    create_commit_numbering(op, SYNCED)


def downgrade() -> None:
    drop_commit_numbering(op, SYNCED)
