"""three meetings and onsite office

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:11:25.098547
"""

import sqlalchemy as sa
from alembic import op

from shared.database import JSONType, UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entity_type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("scope_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("old_value", JSONType, nullable=True),
        sa.Column("new_value", JSONType, nullable=True),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entry_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_entry_scope_id"), ["scope_id"], unique=False)

    op.create_table(
        "onsite_case",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("invited_officials", JSONType, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onsite_case")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_onsite_case_ticket_id")),
    )
    with op.batch_alter_table("onsite_case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onsite_case_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onsite_case_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_onsite_case_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "station_copy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("community_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("time_zone", sa.String(length=60), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_copy")),
    )
    with op.batch_alter_table("station_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_station_copy_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_station_copy_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("agenda", JSONType, nullable=False),
        sa.Column("invited_residents", JSONType, nullable=False),
        sa.Column("invited_departments", JSONType, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=True),
        sa.Column("attendee_count", sa.Integer(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["onsite_case.id"], name=op.f("fk_meeting_case_id_onsite_case")),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_meeting_project_id_project")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_meeting_station_id"), ["station_id"], unique=False)

    op.create_table(
        "onsite_invitation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=False),
        sa.Column("invited_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["onsite_case.id"], name=op.f("fk_onsite_invitation_case_id_onsite_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onsite_invitation")),
        sa.UniqueConstraint("case_id", "department_id", name=op.f("uq_onsite_invitation_case_id_department_id")),
    )
    with op.batch_alter_table("onsite_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onsite_invitation_department_id"), ["department_id"], unique=False)

    op.create_table(
        "project_milestone",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("completed_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_project_milestone_project_id_project"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_milestone")),
    )
    with op.batch_alter_table("project_milestone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_project_milestone_project_id"), ["project_id"], unique=False)

    op.create_table(
        "attendance",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("registered_at", UTCDateTime(), nullable=True),
        sa.Column("registered_by", sa.String(length=64), nullable=True),
        sa.Column("checked_in_at", UTCDateTime(), nullable=True),
        sa.Column("checked_in_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_attendance_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("meeting_id", "resident_id", name=op.f("uq_attendance_meeting_id_resident_id")),
    )
    op.create_table(
        "motion",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("deciding_meeting_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("quorum_minimum_checked_in", sa.Integer(), nullable=False),
        sa.Column("quorum_minimum_turnout_percent", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("yes_count", sa.Integer(), nullable=True),
        sa.Column("no_count", sa.Integer(), nullable=True),
        sa.Column("abstain_count", sa.Integer(), nullable=True),
        sa.Column("checked_in_count", sa.Integer(), nullable=True),
        sa.Column("quorum_met", sa.Boolean(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_motion_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_motion")),
        sa.UniqueConstraint("deciding_meeting_id", name=op.f("uq_motion_deciding_meeting_id")),
    )
    with op.batch_alter_table("motion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_motion_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "onsite_commitment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("owner_department_id", sa.Uuid(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("fulfilled_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["onsite_case.id"], name=op.f("fk_onsite_commitment_case_id_onsite_case"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["meeting_id"], ["meeting.id"], name=op.f("fk_onsite_commitment_meeting_id_meeting")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onsite_commitment")),
    )
    with op.batch_alter_table("onsite_commitment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_onsite_commitment_case_id"), ["case_id"], unique=False)

    op.create_table(
        "review_rating",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_review_rating_score_range")),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_review_rating_meeting_id_meeting"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_rating")),
        sa.UniqueConstraint("meeting_id", "resident_id", name=op.f("uq_review_rating_meeting_id_resident_id")),
    )
    op.create_table(
        "vote",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("motion_id", sa.Uuid(), nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.Column("cast_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["motion_id"], ["motion.id"], name=op.f("fk_vote_motion_id_motion"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote")),
        sa.UniqueConstraint("motion_id", "resident_id", name=op.f("uq_vote_motion_id_resident_id")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Uuid(), nullable=False))
        batch_op.add_column(sa.Column("subdistrict_id", sa.Uuid(), nullable=False))
        batch_op.add_column(sa.Column("place", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("planned_budget_yuan", sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column("planned_start_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("planned_end_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("proposer_kind", sa.String(length=20), nullable=False, server_default="staff"))
        batch_op.add_column(sa.Column("progress_percent", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hearing_passed", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("review_accepted", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("reworking", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("rework_count", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("published_at", UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_project_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_stage"), ["stage"], unique=False)
        batch_op.create_index(batch_op.f("ix_project_subdistrict_id"), ["subdistrict_id"], unique=False)
        batch_op.create_check_constraint(
            op.f("ck_project_progress_range"), "progress_percent IS NULL OR (progress_percent BETWEEN 0 AND 100)"
        )


def downgrade() -> None:
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_project_progress_range"), type_="check")
        batch_op.drop_index(batch_op.f("ix_project_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_project_stage"))
        batch_op.drop_index(batch_op.f("ix_project_community_id"))
        batch_op.drop_column("published_at")
        batch_op.drop_column("rework_count")
        batch_op.drop_column("reworking")
        batch_op.drop_column("review_accepted")
        batch_op.drop_column("hearing_passed")
        batch_op.drop_column("progress_percent")
        batch_op.drop_column("proposer_kind")
        batch_op.drop_column("planned_end_date")
        batch_op.drop_column("planned_start_date")
        batch_op.drop_column("planned_budget_yuan")
        batch_op.drop_column("place")
        batch_op.drop_column("subdistrict_id")
        batch_op.drop_column("community_id")

    op.drop_table("vote")
    op.drop_table("review_rating")
    with op.batch_alter_table("onsite_commitment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onsite_commitment_case_id"))

    op.drop_table("onsite_commitment")
    with op.batch_alter_table("motion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_motion_meeting_id"))

    op.drop_table("motion")
    op.drop_table("attendance")
    with op.batch_alter_table("project_milestone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_milestone_project_id"))

    op.drop_table("project_milestone")
    with op.batch_alter_table("onsite_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onsite_invitation_department_id"))

    op.drop_table("onsite_invitation")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_station_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_starts_at"))
        batch_op.drop_index(batch_op.f("ix_meeting_project_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_community_id"))
        batch_op.drop_index(batch_op.f("ix_meeting_case_id"))

    op.drop_table("meeting")
    with op.batch_alter_table("station_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_station_copy_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_station_copy_community_id"))

    op.drop_table("station_copy")
    with op.batch_alter_table("onsite_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_onsite_case_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_onsite_case_station_id"))
        batch_op.drop_index(batch_op.f("ix_onsite_case_community_id"))

    op.drop_table("onsite_case")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entry_scope_id"))
        batch_op.drop_index(batch_op.f("ix_audit_entry_entity_id"))

    op.drop_table("audit_entry")
