"""oidc: OpenID Connect provider clients, codes, tokens and signing keys

Revision ID: 0005_oidc
Revises: 0004_identity
Create Date: 2026-11-26 09:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_oidc'
down_revision = '0004_identity'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
