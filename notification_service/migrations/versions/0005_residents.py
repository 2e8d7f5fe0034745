"""residents: the tables of notification_service/residents/ (SMS outbox, opt-outs, station and staff copies)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:30:00
"""

import sqlalchemy as sa
from alembic import op

from shared.database import JSONType, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sms_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("resident_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("params", JSONType, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("provider_message_id", sa.String(length=100), nullable=True),
        sa.Column("phone_masked", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_message")),
        sa.UniqueConstraint("event_id", name=op.f("uq_sms_message_event_id")),
    )
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sms_message_ticket_id"), ["ticket_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_message_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sms_message_next_attempt_at"), ["next_attempt_at"], unique=False)

    op.create_table(
        "sms_opt_out",
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("keyword", sa.String(length=20), nullable=False),
        sa.Column("opted_out_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("phone_hash", name=op.f("pk_sms_opt_out")),
    )
    op.create_table(
        "sms_station",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("opening_hours", JSONType, nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_station")),
    )
    op.create_table(
        "sms_staff",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_staff")),
    )


def downgrade() -> None:
    op.drop_table("sms_staff")
    op.drop_table("sms_station")
    op.drop_table("sms_opt_out")
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_message_next_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_sms_message_station_id"))
        batch_op.drop_index(batch_op.f("ix_sms_message_ticket_id"))
    op.drop_table("sms_message")
