"""keyed audit chains, checkpoints, no TRUNCATE

Revision ID: 0009_audit_checkpoints
Revises: 0008_sessions
Create Date: 2026-12-06 09:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0009_audit_checkpoints'
down_revision = '0008_sessions'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
