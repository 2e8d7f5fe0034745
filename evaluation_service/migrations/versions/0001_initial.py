"""initial

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:53:13.588891
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
        "invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=True),
        sa.Column("social_worker_id", sa.String(length=64), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("service_category", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("redeemed_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_invitation_ticket_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_social_worker_id"), ["social_worker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invitation_subdistrict_id"), ["subdistrict_id"], unique=False)

    create_messaging_tables(op)


def downgrade() -> None:
    drop_messaging_tables(op)
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_station_id"))
        batch_op.drop_index(batch_op.f("ix_invitation_social_worker_id"))

    op.drop_table("invitation")
