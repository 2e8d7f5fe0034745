"""Personal information (PIPL): when the retention period removed a closed ticket's personal data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("closed_ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("personal_data_removed_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_closed_ticket_personal_data_removed_at"), ["personal_data_removed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("closed_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_ticket_personal_data_removed_at"))
        batch_op.drop_column("personal_data_removed_at")
