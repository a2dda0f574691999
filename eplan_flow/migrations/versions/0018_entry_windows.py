"""read-only data-entry windows

Revision ID: 0018_entry_windows
Revises: 0017_catalogue_periods
Create Date: 2026-12-06 17:00:00

Placeholder in the chain (issue 12): filled in by the change that needs it; a no-op until then.
"""
# revision identifiers, used by Alembic.
revision = '0018_entry_windows'
down_revision = '0017_catalogue_periods'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
