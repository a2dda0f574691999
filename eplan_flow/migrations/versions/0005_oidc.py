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
    op.create_table('oidc_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('client_secret', sa.String(length=120), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('trusted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('allowed_roles', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('client_id_issued_at', sa.Integer(), nullable=False),
    sa.Column('client_secret_expires_at', sa.Integer(), nullable=False),
    sa.Column('client_metadata', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_client')),
    sa.UniqueConstraint('client_id', name=op.f('uq_oidc_client_client_id'))
    )
    op.create_table('oidc_authorization_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sso_sid', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.Integer(), nullable=False),
    sa.Column('used_at', sa.Integer(), nullable=True),
    sa.Column('code', sa.String(length=120), nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=True),
    sa.Column('redirect_uri', sa.Text(), nullable=True),
    sa.Column('response_type', sa.Text(), nullable=True),
    sa.Column('scope', sa.Text(), nullable=True),
    sa.Column('nonce', sa.Text(), nullable=True),
    sa.Column('auth_time', sa.Integer(), nullable=False),
    sa.Column('acr', sa.Text(), nullable=True),
    sa.Column('amr', sa.Text(), nullable=True),
    sa.Column('code_challenge', sa.Text(), nullable=True),
    sa.Column('code_challenge_method', sa.String(length=48), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_oidc_authorization_code_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_authorization_code')),
    sa.UniqueConstraint('code', name=op.f('uq_oidc_authorization_code_code'))
    )
    with op.batch_alter_table('oidc_authorization_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_authorization_code_user_id'), ['user_id'], unique=False)

    op.create_table('oidc_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sso_sid', sa.String(length=64), nullable=True),
    sa.Column('family', sa.String(length=64), nullable=False),
    sa.Column('auth_time', sa.Integer(), nullable=True),
    sa.Column('refresh_token_expires_at', sa.Integer(), nullable=True),
    sa.Column('client_id', sa.String(length=48), nullable=True),
    sa.Column('token_type', sa.String(length=40), nullable=True),
    sa.Column('access_token', sa.String(length=255), nullable=False),
    sa.Column('refresh_token', sa.String(length=255), nullable=True),
    sa.Column('scope', sa.Text(), nullable=True),
    sa.Column('issued_at', sa.Integer(), nullable=False),
    sa.Column('access_token_revoked_at', sa.Integer(), nullable=False),
    sa.Column('refresh_token_revoked_at', sa.Integer(), nullable=False),
    sa.Column('expires_in', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_oidc_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_token')),
    sa.UniqueConstraint('access_token', name=op.f('uq_oidc_token_access_token'))
    )
    with op.batch_alter_table('oidc_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_token_family'), ['family'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_token_refresh_token'), ['refresh_token'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_token_sso_sid'), ['sso_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_token_user_id'), ['user_id'], unique=False)

    op.create_table('oidc_signing_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('private_key_encrypted', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retire_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delete_after', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_signing_key')),
    sa.UniqueConstraint('kid', name=op.f('uq_oidc_signing_key_kid'))
    )
    with op.batch_alter_table('oidc_signing_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_signing_key_delete_after'), ['delete_after'], unique=False)


def downgrade():
    with op.batch_alter_table('oidc_signing_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_signing_key_delete_after'))

    op.drop_table('oidc_signing_key')
    with op.batch_alter_table('oidc_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_oidc_token_sso_sid'))
        batch_op.drop_index(batch_op.f('ix_oidc_token_refresh_token'))
        batch_op.drop_index(batch_op.f('ix_oidc_token_family'))

    op.drop_table('oidc_token')
    with op.batch_alter_table('oidc_authorization_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_authorization_code_user_id'))

    op.drop_table('oidc_authorization_code')
    op.drop_table('oidc_client')
