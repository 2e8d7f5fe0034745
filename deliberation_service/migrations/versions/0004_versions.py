"""A project gets the `version` its ETag carries (If-Match on its PATCH and PUT → 412 when stale).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("project") as batch:
        batch.drop_column("version")
