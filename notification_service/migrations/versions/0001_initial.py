"""initial: the outbox, inbox and Idempotency-Key tables

Revision ID: 0001
Revises:
Create Date: 2026-12-04 19:30:00
"""

from alembic import op

from shared.events.tables import create_messaging_tables, drop_messaging_tables
from shared.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op)
    create_idempotency_table(op)


def downgrade() -> None:
    drop_idempotency_table(op)
    drop_messaging_tables(op)
