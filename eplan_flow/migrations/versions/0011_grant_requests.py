"""role grants and password resets through audited workflows

Revision ID: 0011_grant_requests
Revises: 0010_identity_hardening
Create Date: 2026-12-06 09:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0011_grant_requests'
down_revision = '0010_identity_hardening'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
