"""citizen-ID ownership, temporary lockouts

Revision ID: 0010_identity_hardening
Revises: 0009_audit_checkpoints
Create Date: 2026-12-06 09:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0010_identity_hardening'
down_revision = '0009_audit_checkpoints'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
