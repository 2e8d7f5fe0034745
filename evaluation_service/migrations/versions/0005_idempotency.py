"""The kernel's Idempotency-Key records: every POST that acts replays its stored answer to a retry.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 11:00:00.000000
"""

from alembic import op

from shared.idempotency import create_idempotency_table, drop_idempotency_table

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_idempotency_table(op)


def downgrade() -> None:
    drop_idempotency_table(op)
