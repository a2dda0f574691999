"""server-side session generations and back-channel logout

Revision ID: 0008_sessions
Revises: 0007_jobs
Create Date: 2026-12-06 09:20:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0008_sessions'
down_revision = '0007_jobs'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
