"""the action plan (แผนการดำเนินงาน, ข้อ 26-27) and its projects (issue 14)

Revision ID: 0024_action_plans
Revises: 0023_evaluation_duties
Create Date: 2026-12-06 20:00:00

An action plan per LAO and fiscal year (workflow ``action_plan``), and its items: the plan's projects
the budget ordinance funds, or other agencies' projects, with their months (a 12-bit set, October first).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024_action_plans"
down_revision = "0023_evaluation_duties"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "action_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("fiscal_year_be", sa.Integer(), nullable=False),
        sa.Column("ordinance_announced_on", sa.Date(), nullable=False),
        sa.Column("announced_on", sa.Date(), nullable=True),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("workflow_name", sa.String(length=40), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name=op.f("fk_action_plan_organisation_id_organisation")
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plan.id"], name=op.f("fk_action_plan_plan_id_plan")),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user_account.id"], name=op.f("fk_action_plan_created_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan")),
        sa.UniqueConstraint(
            "organisation_id", "fiscal_year_be", name=op.f("uq_action_plan_organisation_id_fiscal_year_be")
        ),
    )
    op.create_index(op.f("ix_action_plan_organisation_id"), "action_plan", ["organisation_id"])
    op.create_index(op.f("ix_action_plan_plan_id"), "action_plan", ["plan_id"])
    op.create_index(op.f("ix_action_plan_status"), "action_plan", ["status"])
    op.create_table(
        "action_plan_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_plan_id", sa.Integer(), nullable=False),
        sa.Column("execution_id", sa.Integer(), nullable=True),
        sa.Column("project_no", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("agency", sa.String(length=300), nullable=True),
        sa.Column("strategy", sa.String(length=500), nullable=True),
        sa.Column("programme", sa.String(length=500), nullable=True),
        sa.Column("responsible_unit", sa.String(length=200), nullable=True),
        sa.Column("budget", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.CheckConstraint("budget >= 0", name=op.f("ck_action_plan_item_budget_not_negative")),
        sa.CheckConstraint("months BETWEEN 0 AND 4095", name=op.f("ck_action_plan_item_months_range")),
        sa.CheckConstraint(
            "(execution_id IS NULL) = (agency IS NOT NULL)", name=op.f("ck_action_plan_item_own_or_agency")
        ),
        sa.ForeignKeyConstraint(
            ["action_plan_id"],
            ["action_plan.id"],
            name=op.f("fk_action_plan_item_action_plan_id_action_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["project_execution.id"],
            name=op.f("fk_action_plan_item_execution_id_project_execution"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_plan_item")),
        sa.UniqueConstraint(
            "action_plan_id", "execution_id", name=op.f("uq_action_plan_item_action_plan_id_execution_id")
        ),
    )
    op.create_index(op.f("ix_action_plan_item_action_plan_id"), "action_plan_item", ["action_plan_id"])


def downgrade():
    op.drop_index(op.f("ix_action_plan_item_action_plan_id"), table_name="action_plan_item")
    op.drop_table("action_plan_item")
    op.drop_index(op.f("ix_action_plan_status"), table_name="action_plan")
    op.drop_index(op.f("ix_action_plan_plan_id"), table_name="action_plan")
    op.drop_index(op.f("ix_action_plan_organisation_id"), table_name="action_plan")
    op.drop_table("action_plan")
