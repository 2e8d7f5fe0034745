"""Notes, public replies and the result text.

Internal work notes and public replies on a ticket (`ticket_message`); the result text (办理结果) required
to resolve, kept on the ticket (the current one) and on the resolution's history row (each one, for the
Open311 updates). Until now a resolution's note was its public result: it is carried over as the result
text, so what the public read stays the same.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ticket_message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("ticket_status", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name="fk_ticket_message_ticket_id_ticket"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_message"),
    )
    with op.batch_alter_table("ticket_message") as batch:
        batch.create_index(
            "ix_ticket_message_ticket_id_kind_created_at_id", ["ticket_id", "kind", "created_at", "id"], unique=False
        )
        batch.create_index("ix_ticket_message_kind_created_at_id", ["kind", "created_at", "id"], unique=False)
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("result_text", sa.String(length=2000), nullable=True))
    with op.batch_alter_table("ticket_change") as batch:
        batch.add_column(sa.Column("result_text", sa.String(length=2000), nullable=True))
    # The notes of past resolutions were their public results: they become the result texts.
    op.execute(
        "UPDATE ticket_change SET result_text = note "
        "WHERE kind = 'state' AND to_value = 'resolved' AND note IS NOT NULL"
    )
    op.execute(
        "UPDATE ticket SET result_text = ("
        " SELECT c.note FROM ticket_change AS c"
        " WHERE c.ticket_id = ticket.id AND c.kind = 'state' AND c.to_value = 'resolved'"
        " ORDER BY c.seq DESC LIMIT 1"
        ") WHERE status IN ('resolved', 'closed', 'reopened')"
    )


def downgrade() -> None:
    with op.batch_alter_table("ticket_change") as batch:
        batch.drop_column("result_text")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("result_text")
    with op.batch_alter_table("ticket_message") as batch:
        batch.drop_index("ix_ticket_message_kind_created_at_id")
        batch.drop_index("ix_ticket_message_ticket_id_kind_created_at_id")
    op.drop_table("ticket_message")
