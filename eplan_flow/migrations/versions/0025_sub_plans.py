"""sub-plans of the national strategy's master plans

Revision ID: 0025_sub_plans
Revises: 0024_action_plans
Create Date: 2026-12-06 21:40:00

A national catalogue ``sub_plan`` (แผนย่อยของแผนแม่บทภายใต้ยุทธศาสตร์ชาติ, issue 14): each item's
``parent_id`` is the master plan it belongs to. Only the CHECK constraint on catalogue names changes;
the catalogue ships empty (DLA keeps it in the back office). Down again removes the sub-plan items
and the links to them first.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0025_sub_plans"
down_revision = "0024_action_plans"
branch_labels = None
depends_on = None

BEFORE = (
    "national_strategy",
    "master_plan",
    "nesdp_milestone",
    "sdg",
    "budget_programme",
    "provincial_strategy",
    "province_lao_strategy",
)
AFTER = ("national_strategy", "master_plan", "sub_plan", *BEFORE[2:])


def _check(catalogues: tuple[str, ...]) -> None:
    with op.batch_alter_table("catalogue_item") as batch:
        batch.drop_constraint(op.f("ck_catalogue_item_catalogue"), type_="check")
        batch.create_check_constraint("catalogue", f"catalogue IN {catalogues!r}")


def upgrade():
    _check(AFTER)


def downgrade():
    sub_plans = "SELECT id FROM catalogue_item WHERE catalogue = 'sub_plan'"
    op.execute(sa.text(f"DELETE FROM project_link WHERE item_id IN ({sub_plans})"))
    op.execute(sa.text(f"DELETE FROM lao_strategy_link WHERE item_id IN ({sub_plans})"))
    op.execute(sa.text("DELETE FROM catalogue_item WHERE catalogue = 'sub_plan'"))
    _check(BEFORE)
