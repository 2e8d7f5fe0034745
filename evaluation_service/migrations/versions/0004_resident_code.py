"""A rating link shown at the desk is bound to the resident by a code sent to them (hashed, tried a few times);
the names of a closed ticket's resident, kept to mask them in what is typed here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from shared.database import JSONType, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("closed_ticket", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resident_names", JSONType, nullable=True))
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resident_code_hash", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("resident_code_expires_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("resident_code_attempts", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_column("resident_code_attempts")
        batch_op.drop_column("resident_code_expires_at")
        batch_op.drop_column("resident_code_hash")
    with op.batch_alter_table("closed_ticket", schema=None) as batch_op:
        batch_op.drop_column("resident_names")
