"""A subdistrict's open tickets in id (= time) order: the overdue list walks them newest first.

`GET /api/v1/tickets?overdue=true` for a department's subdistrict (open and past a due time or breached)
read every open ticket of the subdistrict through a bitmap and sorted them for each page. This partial
index over the open states holds them in `(subdistrict_id, id)` order with the columns "overdue" reads
(`due_at`, `sla_breached_at`) and the state: an index-only scan that stops after the page. It replaces
0011's index of the same tickets, whose every reader (the open figures of `/metrics`, grouped by
subdistrict and state) it serves as well, so the write path keeps one index of open tickets, not two.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The open states of ticket_service/tickets/lifecycle.py as they stand at this revision.
_OPEN = "status IN ('accepted', 'in_progress', 'new', 'reopened', 'waiting_for_resident')"


def upgrade() -> None:
    op.create_index(
        "ix_ticket_open_subdistrict_id_id",
        "ticket",
        ["subdistrict_id", "id"],
        postgresql_include=["status", "due_at", "sla_breached_at"],
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )
    op.drop_index("ix_ticket_open_subdistrict_id_status", table_name="ticket")


def downgrade() -> None:
    op.create_index(
        "ix_ticket_open_subdistrict_id_status",
        "ticket",
        ["subdistrict_id", "status", "due_at", "sla_breached_at"],
        postgresql_where=sa.text(_OPEN),
        sqlite_where=sa.text(_OPEN),
    )
    op.drop_index("ix_ticket_open_subdistrict_id_id", table_name="ticket")
