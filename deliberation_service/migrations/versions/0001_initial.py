"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:52:53.244214
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
        "project",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("service_category", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("proposer_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_station_id"), ["station_id"], unique=False)

    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_station_id"))

    op.drop_table("project")
