"""The open tickets' figures without reading the closed ones.

`/metrics` counts the open tickets by subdistrict and state at every scrape (open, overdue, breached):
a partial index over the open states only, holding every column the count reads, keeps that read
proportional to the open tickets rather than to the district's millions.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The open states of ticket_service/tickets/lifecycle.py as they stand at this revision.
_OPEN = "status IN ('accepted', 'in_progress', 'new', 'reopened', 'waiting_for_resident')"


def upgrade() -> None:
    op.create_index(
        "ix_ticket_open_subdistrict_id_status",
        "ticket",
        ["subdistrict_id", "status", "due_at", "sla_breached_at"],
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_ticket_open_subdistrict_id_status", table_name="ticket")
