"""structure_staff_lists

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:08:32.059203
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.database import UTCDateTime
from shared.ids import stable_id

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


# Stations opened before this revision get their community (stable id from the names, as the catalogue
# derives it everywhere) and the standard opening hours.
_DEFAULT_HOURS = {
    "time_zone": "Asia/Shanghai",
    "weekly_periods": [
        *({"weekday": day, "opens": "08:30", "closes": "11:30"} for day in range(6)),
        *({"weekday": day, "opens": "13:00", "closes": "20:00"} for day in range(5)),
    ],
    "exceptions": [],
}


def _backfill_communities() -> None:
    connection = op.get_bind()
    subdistrict = sa.table("subdistrict", sa.column("id", sa.Uuid()), sa.column("name", sa.String()))
    station = sa.table(
        "station",
        sa.column("id", sa.Uuid()),
        sa.column("subdistrict_id", sa.Uuid()),
        sa.column("community_name", sa.String()),
        sa.column("community_id", sa.Uuid()),
        sa.column("opening_hours", sa.JSON()),
        sa.column("time_zone", sa.String()),
    )
    community = sa.table(
        "community",
        sa.column("id", sa.Uuid()),
        sa.column("subdistrict_id", sa.Uuid()),
        sa.column("name", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("created_at", UTCDateTime()),
        sa.column("updated_at", UTCDateTime()),
    )
    rows = connection.execute(
        sa.select(station.c.id, station.c.subdistrict_id, station.c.community_name, subdistrict.c.name).join(
            subdistrict, subdistrict.c.id == station.c.subdistrict_id
        )
    ).all()
    now = datetime.now(UTC)
    for station_id, subdistrict_id, community_name, subdistrict_name in rows:
        community_id = stable_id("community", subdistrict_name, community_name)
        kind = "village" if community_name.endswith("村") else "neighbourhood"
        connection.execute(
            community.insert().values(
                id=community_id,
                subdistrict_id=subdistrict_id,
                name=community_name,
                kind=kind,
                created_at=now,
                updated_at=now,
            )
        )
        connection.execute(
            station.update()
            .where(station.c.id == station_id)
            .values(community_id=community_id, opening_hours=_DEFAULT_HOURS, time_zone="Asia/Shanghai")
        )


def upgrade() -> None:
    op.create_table(
        "community",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_community_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community")),
        sa.UniqueConstraint("subdistrict_id", "name", name=op.f("uq_community_subdistrict_id_name")),
    )
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "department",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=True),
        sa.Column(
            "service_categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_department_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
    )
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_department_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "demand",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("raised_by", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("close_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("fulfilled_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], name=op.f("fk_demand_community_id_community")),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"], name=op.f("fk_demand_station_id_station")),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_demand_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_demand")),
    )
    with op.batch_alter_table("demand", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_demand_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_demand_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_demand_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "optional_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "schedule", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("schedule_note", sa.String(length=200), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"], name=op.f("fk_optional_item_station_id_station")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optional_item")),
    )
    with op.batch_alter_table("optional_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_optional_item_station_id"), ["station_id"], unique=False)

    op.create_table(
        "resource",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("provider_kind", sa.String(length=20), nullable=False),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=True),
        sa.Column("provider_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("district_wide", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("booking_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_resource_department_id_department")
        ),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"], name=op.f("fk_resource_station_id_station")),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_resource_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "staff_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("station_id", sa.Uuid(), nullable=True),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=True),
        sa.Column("department_id", sa.Uuid(), nullable=True),
        sa.Column(
            "service_categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["community.id"], name=op.f("fk_staff_member_community_id_community")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["department.id"], name=op.f("fk_staff_member_department_id_department")
        ),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"], name=op.f("fk_staff_member_station_id_station")),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_staff_member_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_member")),
    )
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_member_department_id"), ["department_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_member_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_member_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "resource_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("demand_id", sa.Uuid(), nullable=True),
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.Column("provider_department_id", sa.Uuid(), nullable=True),
        sa.Column("provider_station_id", sa.Uuid(), nullable=True),
        sa.Column("provider_subdistrict_id", sa.Uuid(), nullable=True),
        sa.Column("requested_date", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("scheduled_at", UTCDateTime(), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.Column("requested_by", sa.String(length=100), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["demand_id"], ["demand.id"], name=op.f("fk_resource_request_demand_id_demand")),
        sa.ForeignKeyConstraint(
            ["provider_department_id"],
            ["department.id"],
            name=op.f("fk_resource_request_provider_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_station_id"], ["station.id"], name=op.f("fk_resource_request_provider_station_id_station")
        ),
        sa.ForeignKeyConstraint(
            ["provider_subdistrict_id"],
            ["subdistrict.id"],
            name=op.f("fk_resource_request_provider_subdistrict_id_subdistrict"),
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_resource_request_resource_id_resource")
        ),
        sa.ForeignKeyConstraint(["station_id"], ["station.id"], name=op.f("fk_resource_request_station_id_station")),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_resource_request_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_request")),
    )
    with op.batch_alter_table("resource_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_request_demand_id"), ["demand_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resource_request_provider_department_id"), ["provider_department_id"], unique=False
        )
        batch_op.create_index("ix_resource_request_resource_day", ["resource_id", "requested_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_request_station_id"), ["station_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_request_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_request_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "resource_subdistrict",
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("subdistrict_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resource.id"],
            name=op.f("fk_resource_subdistrict_resource_id_resource"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subdistrict_id"], ["subdistrict.id"], name=op.f("fk_resource_subdistrict_subdistrict_id_subdistrict")
        ),
        sa.PrimaryKeyConstraint("resource_id", "subdistrict_id", name=op.f("pk_resource_subdistrict")),
    )
    with op.batch_alter_table("resource_subdistrict", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_subdistrict_subdistrict_id"), ["subdistrict_id"], unique=False)

    op.create_table(
        "resource_window",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["resource_id"], ["resource.id"], name=op.f("fk_resource_window_resource_id_resource"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_window")),
    )
    with op.batch_alter_table("resource_window", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_window_resource_id"), ["resource_id"], unique=False)

    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.add_column(sa.Column("community_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "opening_hours",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("time_zone", sa.String(length=60), nullable=True))

    _backfill_communities()

    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.alter_column("community_id", existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column(
            "opening_hours",
            existing_type=sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        )
        batch_op.alter_column("time_zone", existing_type=sa.String(length=60), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_station_community_id"), ["community_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_station_community_id_community"), "community", ["community_id"], ["id"]
        )

    with op.batch_alter_table("subdistrict", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "boundary", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("subdistrict", schema=None) as batch_op:
        batch_op.drop_column("boundary")

    with op.batch_alter_table("station", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_station_community_id_community"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_station_community_id"), type_="unique")
        batch_op.drop_column("time_zone")
        batch_op.drop_column("opening_hours")
        batch_op.drop_column("community_id")

    with op.batch_alter_table("resource_window", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_window_resource_id"))

    op.drop_table("resource_window")
    with op.batch_alter_table("resource_subdistrict", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_subdistrict_subdistrict_id"))

    op.drop_table("resource_subdistrict")
    with op.batch_alter_table("resource_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_request_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_resource_request_status"))
        batch_op.drop_index(batch_op.f("ix_resource_request_station_id"))
        batch_op.drop_index("ix_resource_request_resource_day")
        batch_op.drop_index(batch_op.f("ix_resource_request_provider_department_id"))
        batch_op.drop_index(batch_op.f("ix_resource_request_demand_id"))

    op.drop_table("resource_request")
    with op.batch_alter_table("staff_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_member_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_staff_member_station_id"))
        batch_op.drop_index(batch_op.f("ix_staff_member_department_id"))

    op.drop_table("staff_member")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_resource_station_id"))
        batch_op.drop_index(batch_op.f("ix_resource_department_id"))
        batch_op.drop_index(batch_op.f("ix_resource_category"))

    op.drop_table("resource")
    with op.batch_alter_table("optional_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_optional_item_station_id"))

    op.drop_table("optional_item")
    with op.batch_alter_table("demand", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_demand_subdistrict_id"))
        batch_op.drop_index(batch_op.f("ix_demand_status"))
        batch_op.drop_index(batch_op.f("ix_demand_station_id"))

    op.drop_table("demand")
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_subdistrict_id"))

    op.drop_table("department")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_subdistrict_id"))

    op.drop_table("community")
