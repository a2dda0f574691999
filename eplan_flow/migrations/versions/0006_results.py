"""results: year-end actuals and the monitoring and evaluation report

Revision ID: 0006_results
Revises: 0005_oidc
Create Date: 2026-11-26 09:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_results'
down_revision = '0005_oidc'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
