"""push: the tables of notification_service/push/ (devices, queued pushes, notification preferences)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:30:00
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_device",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=True),
        sa.Column("auth", sa.String(length=100), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("last_success_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_device")),
        sa.UniqueConstraint("address_hash", name=op.f("uq_push_device_address_hash")),
    )
    with op.batch_alter_table("push_device", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_device_person_id"), ["person_id"], unique=False)

    op.create_table(
        "push_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("feed_item_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=1000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("deferred", sa.Boolean(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_message")),
        sa.UniqueConstraint("device_id", "feed_item_id", name=op.f("uq_push_message_device_id_feed_item_id")),
    )
    with op.batch_alter_table("push_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_push_message_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_push_message_next_attempt_at"), ["next_attempt_at"], unique=False)

    op.create_table(
        "notification_preference",
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("quiet_hours_start", sa.Time(), nullable=True),
        sa.Column("quiet_hours_end", sa.Time(), nullable=True),
        sa.Column("urgent_during_quiet_hours", sa.Boolean(), nullable=False),
        sa.Column("sms_notices", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_notification_preference")),
    )


def downgrade() -> None:
    op.drop_table("notification_preference")
    with op.batch_alter_table("push_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_message_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_push_message_device_id"))
    op.drop_table("push_message")
    with op.batch_alter_table("push_device", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_push_device_person_id"))
    op.drop_table("push_device")
