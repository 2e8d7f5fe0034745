"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:52:36.002120
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime
from shared.events.tables import create_messaging_tables, drop_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_copy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_copy")),
    )
    with op.batch_alter_table("station_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_station_copy_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "ticket",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("service_category", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=True),
        sa.Column("resident_name", sa.String(length=100), nullable=True),
        sa.Column("resident_phone", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("responsibility_level", sa.String(length=20), nullable=False),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["station_id"], ["station_copy.id"], name=op.f("fk_ticket_station_id_station_copy")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket")),
    )
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_resident_id"), ["resident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ticket_station_id"), ["station_id"], unique=False)

    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    with op.batch_alter_table("ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_station_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_resident_id"))
        batch_op.drop_index(batch_op.f("ix_ticket_owner_id"))

    op.drop_table("ticket")
    with op.batch_alter_table("station_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_copy_subdistrict_id"))

    op.drop_table("station_copy")
