"""citizen-ID ownership, temporary lockouts

Revision ID: 0010_identity_hardening
Revises: 0009_audit_checkpoints
Create Date: 2026-12-06 09:20:00

An unverified registration no longer reserves its citizen ID: the digest is unique only among
people ThaiD has verified. Lockouts become temporary (``locked_until``); locks taken under the old
rule (permanent until an admin acted) end with this upgrade. ``voided_at`` marks registrations
dropped before verification.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_identity_hardening'
down_revision = '0009_audit_checkpoints'
branch_labels = None
depends_on = None

VERIFIED = sa.text("identity_verified_at IS NOT NULL")


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_failed_login_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_user_account_citizen_id_digest', type_='unique')
        batch_op.create_index(batch_op.f('ix_user_account_citizen_id_digest'), ['citizen_id_digest'], unique=False)
        batch_op.create_index('uq_user_account_verified_citizen_id', ['citizen_id_digest'], unique=True,
                              postgresql_where=VERIFIED, sqlite_where=VERIFIED)
    # Old locks had no end; under the new rule they would already be over.
    op.execute("UPDATE user_account SET locked_at = NULL, failed_login_count = 0 WHERE locked_at IS NOT NULL")


def downgrade():
    # Back to one account per citizen ID: drop the digest from all but the oldest claim of each
    # number (unverified claims beside a verified owner would break the unique constraint).
    op.execute(
        "UPDATE user_account SET citizen_id_digest = NULL WHERE citizen_id_digest IS NOT NULL AND id NOT IN ("
        " SELECT keep FROM (SELECT citizen_id_digest, "
        "  COALESCE(MIN(CASE WHEN identity_verified_at IS NOT NULL THEN id END), MIN(id)) AS keep"
        "  FROM user_account WHERE citizen_id_digest IS NOT NULL GROUP BY citizen_id_digest) AS owners)"
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index('uq_user_account_verified_citizen_id', postgresql_where=VERIFIED,
                            sqlite_where=VERIFIED)
        batch_op.drop_index(batch_op.f('ix_user_account_citizen_id_digest'))
        batch_op.create_unique_constraint(batch_op.f('uq_user_account_citizen_id_digest'), ['citizen_id_digest'])
        batch_op.drop_column('voided_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('last_failed_login_at')
