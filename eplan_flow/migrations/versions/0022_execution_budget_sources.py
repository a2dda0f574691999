"""budget source, codes, procurement and location of execution items (issue 14)

Revision ID: 0022_execution_budget_sources
Revises: 0021_plan_imports
Create Date: 2026-12-06 18:50:00

Each project's year records its budget source and e-LAAS code, its procurement method and e-GP
project number, and where it is (หมู่ที่, community, optional coordinates). All columns are nullable:
rows budgeted before this change have none of them.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022_execution_budget_sources"
down_revision = "0021_plan_imports"
branch_labels = None
depends_on = None


COLUMNS = (
    ("budget_source", sa.String(length=40)),
    ("elaas_budget_code", sa.String(length=50)),
    ("procurement_method", sa.String(length=40)),
    ("egp_project_no", sa.String(length=20)),
    ("village_no", sa.Integer()),
    ("community", sa.String(length=200)),
    ("latitude", sa.Numeric(precision=9, scale=6)),
    ("longitude", sa.Numeric(precision=9, scale=6)),
)


def upgrade():
    with op.batch_alter_table("project_execution") as batch:
        for name, kind in COLUMNS:
            batch.add_column(sa.Column(name, kind, nullable=True))
        batch.create_check_constraint(
            "village_no_range", "village_no IS NULL OR village_no BETWEEN 1 AND 999"
        )
        batch.create_check_constraint("coordinates_paired", "(latitude IS NULL) = (longitude IS NULL)")


def downgrade():
    with op.batch_alter_table("project_execution") as batch:
        batch.drop_constraint(batch.f("ck_project_execution_coordinates_paired"), type_="check")
        batch.drop_constraint(batch.f("ck_project_execution_village_no_range"), type_="check")
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
