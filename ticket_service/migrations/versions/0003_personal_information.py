"""Personal information (PIPL): the log of full reads of residents' contacts, and when the retention
period removed a ticket's personal data.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.database import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_read",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.Column("reader_id", sa.String(length=64), nullable=False),
        sa.Column(
            "reader_roles",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=True),
        sa.Column("resident_name_masked", sa.String(length=100), nullable=True),
        sa.Column("resident_phone_masked", sa.String(length=40), nullable=True),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_contact_read_ticket_id_ticket")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_read")),
    )
    with op.batch_alter_table("contact_read", schema=None) as batch_op:
        batch_op.create_index("ix_contact_read_reader_id_id", ["reader_id", "id"], unique=False)
        batch_op.create_index("ix_contact_read_ticket_id_id", ["ticket_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_read_station_id"), ["station_id"], unique=False)

    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("personal_data_removed_at", UTCDateTime(), nullable=True))
        batch_op.create_index(
            "ix_ticket_personal_data_removed_at_status_closed_at",
            ["personal_data_removed_at", "status", "closed_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_personal_data_removed_at_status_closed_at")
        batch_op.drop_column("personal_data_removed_at")

    with op.batch_alter_table("contact_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_read_station_id"))
        batch_op.drop_index("ix_contact_read_ticket_id_id")
        batch_op.drop_index("ix_contact_read_reader_id_id")

    op.drop_table("contact_read")
