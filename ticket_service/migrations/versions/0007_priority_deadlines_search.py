"""Priority, external deadlines, SLA policies as data, text search.

The ticket gets its priority, the budgets its policy gave, the referring system's deadline and which
deadline governs; `sla_policy` holds the budgets per service category and priority (seeded at start from
the settings, ticket_service/sla_policies). Text search over descriptions on PostgreSQL: a trigram GIN
index (pg_trgm) serves `ILIKE '%q%'` from three characters on; pg_trgm extracts no trigram from a one- or
two-character pattern (most Chinese words: 楼道, 路灯), so a second GIN index over each description's
characters and character pairs (`ticket_search_grams`) serves those. SQLite needs neither.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Every character and every pair of neighbouring characters of a text, lower-cased: a one- or
# two-character query is one of them exactly when the text contains it.
SEARCH_GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION ticket_search_grams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}'::text[]) FROM (
        SELECT substr(lower(value), position, 1) AS gram FROM generate_series(1, length(value)) AS position
        UNION ALL
        SELECT substr(lower(value), position, 2) FROM generate_series(1, length(value) - 1) AS position
    ) AS grams
$$
"""


def upgrade() -> None:
    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("priority", sa.String(length=10), nullable=False, server_default="normal"))
        batch.add_column(sa.Column("sla_accept_minutes", sa.Float(), nullable=True))
        batch.add_column(sa.Column("sla_resolve_minutes", sa.Float(), nullable=True))
        batch.add_column(sa.Column("external_due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("due_at_source", sa.String(length=20), nullable=True))
    op.create_table(
        "sla_policy",
        sa.Column("service_category", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("accept_minutes", sa.Float(), nullable=False),
        sa.Column("resolve_minutes", sa.Float(), nullable=False),
        sa.Column("configured_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("service_category", "priority", name=op.f("pk_sla_policy")),
    )
    if op.get_context().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(SEARCH_GRAMS_FUNCTION)
        op.execute("CREATE INDEX ix_ticket_description_trgm ON ticket USING gin (description gin_trgm_ops)")
        op.execute("CREATE INDEX ix_ticket_description_grams ON ticket USING gin (ticket_search_grams(description))")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_ticket_description_grams")
        op.execute("DROP INDEX IF EXISTS ix_ticket_description_trgm")
        op.execute("DROP FUNCTION IF EXISTS ticket_search_grams(text)")
        # pg_trgm stays: other databases' objects on the server may use it.
    op.drop_table("sla_policy")
    with op.batch_alter_table("ticket") as batch:
        batch.drop_column("due_at_source")
        batch.drop_column("external_due_at")
        batch.drop_column("sla_resolve_minutes")
        batch.drop_column("sla_accept_minutes")
        batch.drop_column("priority")
