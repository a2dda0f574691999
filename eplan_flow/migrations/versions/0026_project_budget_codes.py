"""e-LAAS budget codes on plan projects (issue 14)

Revision ID: 0026_project_budget_codes
Revises: 0025_sub_plans
Create Date: 2026-12-06 21:40:00

A plan project may carry the e-LAAS budget code its ordinance line uses, so the budget ordinance
import matches the line to the project by code. Nullable: projects recorded before have none.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0026_project_budget_codes"
down_revision = "0025_sub_plans"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("project_record") as batch:
        batch.add_column(sa.Column("elaas_budget_code", sa.String(length=50), nullable=True))


def downgrade():
    with op.batch_alter_table("project_record") as batch:
        batch.drop_column("elaas_budget_code")
