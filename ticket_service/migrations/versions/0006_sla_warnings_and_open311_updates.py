"""SLA warnings before a breach (what each ticket was warned of, and when the checker must look next),
the purpose of a contact read, and the indexes the Open311 update feeds read by.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 20:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.database import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("sla_check_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column(
                "sla_warnings",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )
        batch.create_index("ix_ticket_sla_check_at", ["sla_check_at"], unique=False)
        batch.create_index("ix_ticket_updated_at_id", ["updated_at", "id"], unique=False)
    # Tickets with a running clock are looked at on the checker's next pass, which schedules their warnings.
    op.execute("UPDATE ticket SET sla_check_at = updated_at WHERE due_at IS NOT NULL")
    with op.batch_alter_table("ticket_change") as batch:
        batch.create_index("ix_ticket_change_at_id", ["at", "id"], unique=False)
    with op.batch_alter_table("contact_read") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_read") as batch:
        batch.drop_column("purpose")
    with op.batch_alter_table("ticket_change") as batch:
        batch.drop_index("ix_ticket_change_at_id")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_index("ix_ticket_updated_at_id")
        batch.drop_index("ix_ticket_sla_check_at")
        batch.drop_column("sla_warnings")
        batch.drop_column("sla_check_at")
