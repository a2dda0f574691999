"""data-encryption key ids

Revision ID: 0012_sealing_keys
Revises: 0011_grant_requests
Create Date: 2026-12-06 09:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_sealing_keys'
down_revision = '0011_grant_requests'
branch_labels = None
depends_on = None


def upgrade():
    # H1: signing key publication. A key is published (in the JWKS) before it signs: ``sign_after``.
    # Keys made before this signed from their creation.
    with op.batch_alter_table('oidc_signing_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sign_after', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE oidc_signing_key SET sign_after = created_at")
    with op.batch_alter_table('oidc_signing_key', schema=None) as batch_op:
        batch_op.alter_column('sign_after', existing_type=sa.DateTime(timezone=True), nullable=False)
    # -- end H1: signing key publication


def downgrade():
    # H1: signing key publication.
    with op.batch_alter_table('oidc_signing_key', schema=None) as batch_op:
        batch_op.drop_column('sign_after')
    # -- end H1: signing key publication
