"""the review (ทบทวน) of a plan in force and the civic forum's meetings

Revision ID: 0014_plan_reviews
Revises: 0013_thaid_names
Create Date: 2026-12-06 17:00:00

Placeholder in the chain (issue 12): filled in by the change that needs it; a no-op until then.
"""
# revision identifiers, used by Alembic.
revision = '0014_plan_reviews'
down_revision = '0013_thaid_names'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
