"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:53:19.171601
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
        "subdistrict",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subdistrict")),
        sa.UniqueConstraint("name", name=op.f("uq_subdistrict_name")),
    )
    op.create_table(
        "station",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_station_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station")),
        sa.UniqueConstraint("subdistrict_id", "community_name", name=op.f("uq_station_subdistrict_id_community_name")),
    )
    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_station_subdistrict_id"), ["subdistrict_id"], unique=False)

    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_subdistrict_id"))

    op.drop_table("station")
    op.drop_table("subdistrict")
