"""ratings_inbox_reports

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 22:22:12.685580
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.database import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "closed_ticket",
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("service_category", sa.String(length=40), nullable=True),
        sa.Column("responsibility_level", sa.String(length=20), nullable=True),
        sa.Column("owner_id", sa.String(length=64), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.Column("resident_id", sa.String(length=64), nullable=True),
        sa.Column(
            "handled_by", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", UTCDateTime(), nullable=True),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_on_time", sa.Boolean(), nullable=True),
        sa.Column("resolved_on_time", sa.Boolean(), nullable=True),
        sa.Column("acceptance_working_minutes", sa.Integer(), nullable=True),
        sa.Column("resolution_working_minutes", sa.Integer(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_closed_ticket")),
    )
    with op.batch_alter_table("closed_ticket", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_closed_ticket_closed_at"), ["closed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_closed_ticket_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_closed_ticket_completed_by"), ["completed_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_closed_ticket_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_closed_ticket_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_closed_ticket_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "department_copy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=True),
        sa.Column(
            "service_categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department_copy")),
    )
    with op.batch_alter_table("department_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_department_copy_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "review_result",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=True),
        sa.Column(
            "distribution",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_review_result")),
    )
    with op.batch_alter_table("review_result", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_result_completed_at"), ["completed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_result_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_result_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_result_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "staff_copy",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_copy")),
    )
    op.create_table(
        "station_copy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_name", sa.String(length=100), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_copy")),
    )
    with op.batch_alter_table("station_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_station_copy_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "rating",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("invitation_id", sa.Uuid(), nullable=False),
        sa.Column("attitude", sa.SmallInteger(), nullable=False),
        sa.Column("ability", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("resident_confirmed", sa.Boolean(), nullable=False),
        sa.Column("social_worker_id", sa.String(length=64), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("service_category", sa.String(length=40), nullable=True),
        sa.Column("ticket_closed_at", UTCDateTime(), nullable=False),
        sa.Column("follow_up_required", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("ability BETWEEN 1 AND 5", name=op.f("ck_rating_ability_range")),
        sa.CheckConstraint("attitude BETWEEN 1 AND 5", name=op.f("ck_rating_attitude_range")),
        sa.ForeignKeyConstraint(["invitation_id"], ["invitation.id"], name=op.f("fk_rating_invitation_id_invitation")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_rating_invitation_id")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_rating_ticket_id")),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_follow_up_required"), ["follow_up_required"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_social_worker_id"), ["social_worker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_subdistrict_id"), ["subdistrict_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_ticket_closed_at"), ["ticket_closed_at"], unique=False)

    op.create_table(
        "appeal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rating_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"], name=op.f("fk_appeal_rating_id_rating")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal")),
        sa.UniqueConstraint("rating_id", name=op.f("uq_appeal_rating_id")),
    )
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_raised_by"), ["raised_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_appeal_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "follow_up",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("rating_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"], name=op.f("fk_follow_up_rating_id_rating")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_follow_up_rating_id"), ["rating_id"], unique=False)

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("token_issued_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("token_issued_by", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_invitation_resident_id"), ["resident_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_resident_id"))
        batch_op.drop_column("token_issued_by")
        batch_op.drop_column("token_issued_at")
        batch_op.drop_column("community_id")

    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_rating_id"))

    op.drop_table("follow_up")
    with op.batch_alter_table("appeal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_appeal_raised_by"))

    op.drop_table("appeal")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rating_ticket_closed_at"))
        batch_op.drop_index(batch_op.f("ix_rating_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_rating_station_id"))
        batch_op.drop_index(batch_op.f("ix_rating_social_worker_id"))
        batch_op.drop_index(batch_op.f("ix_rating_follow_up_required"))
        batch_op.drop_index(batch_op.f("ix_rating_department_id"))
        batch_op.drop_index(batch_op.f("ix_rating_community_id"))

    op.drop_table("rating")
    with op.batch_alter_table("station_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_copy_subdistrict_id"))

    op.drop_table("station_copy")
    op.drop_table("staff_copy")
    with op.batch_alter_table("review_result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_result_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_review_result_station_id"))
        batch_op.drop_index(batch_op.f("ix_review_result_project_id"))
        batch_op.drop_index(batch_op.f("ix_review_result_completed_at"))

    op.drop_table("review_result")
    with op.batch_alter_table("department_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_copy_subdistrict_id"))

    op.drop_table("department_copy")
    with op.batch_alter_table("closed_ticket", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_closed_ticket_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_closed_ticket_station_id"))
        batch_op.drop_index(batch_op.f("ix_closed_ticket_owner_id"))
        batch_op.drop_index(batch_op.f("ix_closed_ticket_completed_by"))
        batch_op.drop_index(batch_op.f("ix_closed_ticket_community_id"))
        batch_op.drop_index(batch_op.f("ix_closed_ticket_closed_at"))

    op.drop_table("closed_ticket")
