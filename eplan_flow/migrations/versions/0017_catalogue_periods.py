"""catalogues by plan period, ผ.01 project groups

Revision ID: 0017_catalogue_periods
Revises: 0016_announcement_duties
Create Date: 2026-12-06 17:00:00

Catalogue items serve one plan period (issue 12, item 11): ``catalogue_item.period_start_be``, the
first B.E. year of the period (NULL: every period). The items written for the 2566–2570 plans (the
13th NESDP's milestones and the provincial catalogues) are set to 2566, and หมุดหมาย 9 gets its
published text. The ผ.01 groups need no schema (workflows/counting.py).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_catalogue_periods'
down_revision = '0016_announcement_duties'
branch_labels = None
depends_on = None


# The catalogues written for one plan period; the others serve every period.
PERIOD_BOUND = ("nesdp_milestone", "provincial_strategy", "province_lao_strategy")
MILESTONE_9_OLD = "ไทยมีความยากจนข้ามรุ่นลดลง และคนไทยทุกคนมีความคุ้มครองทางสังคมที่เพียงพอ เหมาะสม"
MILESTONE_9 = "ไทยมีความยากจนข้ามรุ่นลดลง และมีความคุ้มครองทางสังคมที่เพียงพอ เหมาะสม"

item = sa.table(
    "catalogue_item",
    sa.column("catalogue", sa.String),
    sa.column("scope", sa.String),
    sa.column("code", sa.String),
    sa.column("name_th", sa.String),
    sa.column("period_start_be", sa.Integer),
)


def upgrade():
    with op.batch_alter_table("catalogue_item") as batch:
        batch.add_column(sa.Column("period_start_be", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_catalogue_item_catalogue_scope_code", type_="unique")
        # A code is unique per catalogue, scope and period (NULL periods are not equal in SQL).
        batch.create_index(
            "uq_catalogue_item_code_every_period",
            ["catalogue", "scope", "code"],
            unique=True,
            postgresql_where=sa.text("period_start_be IS NULL"),
            sqlite_where=sa.text("period_start_be IS NULL"),
        )
        batch.create_index(
            "uq_catalogue_item_code_in_period",
            ["catalogue", "scope", "period_start_be", "code"],
            unique=True,
            postgresql_where=sa.text("period_start_be IS NOT NULL"),
            sqlite_where=sa.text("period_start_be IS NOT NULL"),
        )
    op.execute(item.update().where(item.c.catalogue.in_(PERIOD_BOUND)).values(period_start_be=2566))
    op.execute(
        item.update()
        .where(item.c.catalogue == "nesdp_milestone", item.c.scope == "", item.c.code == "9")
        .values(name_th=MILESTONE_9)
    )


def downgrade():
    op.execute(
        item.update()
        .where(item.c.catalogue == "nesdp_milestone", item.c.scope == "", item.c.code == "9")
        .values(name_th=MILESTONE_9_OLD)
    )
    with op.batch_alter_table("catalogue_item") as batch:
        batch.drop_index("uq_catalogue_item_code_in_period")
        batch.drop_index("uq_catalogue_item_code_every_period")
        # Back to one code per catalogue and scope; a later period's item reusing a code must go first.
        batch.create_unique_constraint("uq_catalogue_item_catalogue_scope_code", ["catalogue", "scope", "code"])
        batch.drop_column("period_start_be")
