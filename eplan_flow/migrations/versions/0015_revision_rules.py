"""revision numbering settings, the ข้อ 22/2 basis and the corrected fact

Revision ID: 0015_revision_rules
Revises: 0014_plan_reviews
Create Date: 2026-12-06 17:00:00

Placeholder in the chain (issue 12): filled in by the change that needs it; a no-op until then.
"""
# revision identifiers, used by Alembic.
revision = '0015_revision_rules'
down_revision = '0014_plan_reviews'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
