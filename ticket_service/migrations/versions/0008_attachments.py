"""Attachments.

`ticket_attachment`: a file on a ticket (JPEG, PNG, HEIC stored as JPEG, PDF). The bytes live in the
object store (a directory or S3-compatible storage); the row keeps the type, size, who uploaded it, the
object keys, the resident's permission to show a public-safe copy and, once removed (by its uploader or
the retention pass), when and why.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.Column("detected_type", sa.String(length=40), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("public_key", sa.String(length=200), nullable=True),
        sa.Column("public_token", sa.String(length=64), nullable=True),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("removed_reason", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name="fk_ticket_attachment_ticket_id_ticket"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_attachment"),
        sa.UniqueConstraint("public_token", name="uq_ticket_attachment_public_token"),
    )
    with op.batch_alter_table("ticket_attachment") as batch:
        batch.create_index("ix_ticket_attachment_ticket_id_id", ["ticket_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachment") as batch:
        batch.drop_index("ix_ticket_attachment_ticket_id_id")
    op.drop_table("ticket_attachment")
