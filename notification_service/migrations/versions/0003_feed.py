"""feed: the tables of notification_service/feed/

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:30:00
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.String(length=300), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("subject_id", sa.String(length=64), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("change", sa.String(length=120), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_item")),
        sa.UniqueConstraint("person_id", "sequence", name="uq_feed_item_person_sequence"),
        sa.UniqueConstraint("event_id", "person_id", name="uq_feed_item_event_person"),
    )
    op.create_index("ix_feed_item_person_unread", "feed_item", ["person_id", "read_at"])
    op.create_index("ix_feed_item_person_change", "feed_item", ["person_id", "change"])
    op.create_table(
        "feed_cursor",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_feed_cursor")),
    )
    op.create_table(
        "feed_staff",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("department_id", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_staff")),
    )
    op.create_index("ix_feed_staff_station", "feed_staff", ["station_id"])
    op.create_index("ix_feed_staff_department", "feed_staff", ["department_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_staff_department", table_name="feed_staff")
    op.drop_index("ix_feed_staff_station", table_name="feed_staff")
    op.drop_table("feed_staff")
    op.drop_table("feed_cursor")
    op.drop_index("ix_feed_item_person_change", table_name="feed_item")
    op.drop_index("ix_feed_item_person_unread", table_name="feed_item")
    op.drop_table("feed_item")
