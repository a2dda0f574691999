"""data-encryption key ids

Revision ID: 0012_sealing_keys
Revises: 0011_grant_requests
Create Date: 2026-12-06 09:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0012_sealing_keys'
down_revision = '0011_grant_requests'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
