"""Clinical detail: complication subtype, revision detail, the screening's checklist result,
and database-level checks (revision kind, one explant per implant, trial ranges).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_ONE_EXPLANT = "uq_revisions_one_explant"


def upgrade() -> None:
    with op.batch_alter_table("complications") as b:
        b.add_column(sa.Column("subtype", sa.String(length=32), nullable=True))
    with op.batch_alter_table("screenings") as b:
        b.add_column(sa.Column("status", sa.String(length=16), nullable=True))
        b.add_column(sa.Column("criteria_table", sa.String(length=64), nullable=True))
    with op.batch_alter_table("revisions") as b:
        b.add_column(sa.Column("detail", sa.String(length=200), nullable=False,
                               server_default=""))
        b.create_check_constraint("kind", "kind IN ('revision', 'explant')")
    with op.batch_alter_table("trials") as b:
        b.create_check_constraint(
            "overlap", "paresthesia_overlap_pct IS NULL OR paresthesia_overlap_pct "
                       "BETWEEN 0 AND 100")
        b.create_check_constraint(
            "satisfaction", "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5")
    op.create_index(_ONE_EXPLANT, "revisions", ["implant_id"], unique=True,
                    sqlite_where=sa.text("kind = 'explant'"),
                    postgresql_where=sa.text("kind = 'explant'"))


def downgrade() -> None:
    op.drop_index(_ONE_EXPLANT, table_name="revisions")
    with op.batch_alter_table("trials") as b:
        b.drop_constraint(op.f("ck_trials_satisfaction"), type_="check")
        b.drop_constraint(op.f("ck_trials_overlap"), type_="check")
    with op.batch_alter_table("revisions") as b:
        b.drop_constraint(op.f("ck_revisions_kind"), type_="check")
        b.drop_column("detail")
    with op.batch_alter_table("screenings") as b:
        b.drop_column("criteria_table")
        b.drop_column("status")
    with op.batch_alter_table("complications") as b:
        b.drop_column("subtype")
