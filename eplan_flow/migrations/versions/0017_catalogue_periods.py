"""catalogues by plan period, ผ.01 project groups

Revision ID: 0017_catalogue_periods
Revises: 0016_announcement_duties
Create Date: 2026-12-06 17:00:00

Placeholder in the chain (issue 12): filled in by the change that needs it; a no-op until then.
"""
# revision identifiers, used by Alembic.
revision = '0017_catalogue_periods'
down_revision = '0016_announcement_duties'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
