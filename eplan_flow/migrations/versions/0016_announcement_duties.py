"""copies and posting after announcement, routing

Revision ID: 0016_announcement_duties
Revises: 0015_revision_rules
Create Date: 2026-12-06 17:00:00

Placeholder in the chain (issue 12): filled in by the change that needs it; a no-op until then.
"""
# revision identifiers, used by Alembic.
revision = '0016_announcement_duties'
down_revision = '0015_revision_rules'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
