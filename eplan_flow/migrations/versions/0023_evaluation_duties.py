"""the yearly evaluation report's duties: December, announcement, posting (issue 14)

Revision ID: 0023_evaluation_duties
Revises: 0022_execution_budget_sources
Create Date: 2026-12-06 18:50:00

The 2561 amendment counts the 15 days to announce from the day the committee reports to the
executive, and the announcement is posted for at least 30 days: a report (on the evaluation workflow's
version 2) records both days.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023_evaluation_duties"
down_revision = "0022_execution_budget_sources"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("evaluation_report", sa.Column("reported_on", sa.Date(), nullable=True))
    op.add_column("evaluation_report", sa.Column("posted_on", sa.Date(), nullable=True))


def downgrade():
    op.drop_column("evaluation_report", "posted_on")
    op.drop_column("evaluation_report", "reported_on")
