"""keyed audit chains, checkpoints, no TRUNCATE

Revision ID: 0009_audit_checkpoints
Revises: 0008_sessions
Create Date: 2026-12-06 09:20:00

Events already written keep their plain SHA-256 hashes (hash_version 1) and still verify; run
``flask eplan anchor-audit`` once after this upgrade to sign their chains' heads. New events are
HMAC-SHA256 with AUDIT_KEY (hash_version 2), a key the database never holds.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_audit_checkpoints'
down_revision = '0008_sessions'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_checkpoint',
    sa.Column('chain', sa.String(length=80), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('chain', name=op.f('pk_audit_checkpoint'))
    )
    # The default only marks the rows already there as legacy (on PostgreSQL a catalogue-only
    # change: no row is rewritten, so the append-only trigger is not involved); then it goes, so
    # every writer must say how it hashed.
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash_version', sa.SmallInteger(), nullable=False, server_default='1'))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('hash_version', server_default=None)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE TRIGGER audit_event_no_truncate
              BEFORE TRUNCATE ON audit_event
              FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();

            CREATE FUNCTION audit_checkpoint_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND NEW.chain = OLD.chain AND NEW.seq >= OLD.seq THEN
                RETURN NEW;
              END IF;
              RAISE EXCEPTION 'audit_checkpoint only moves forward';
            END $$;
            CREATE TRIGGER audit_checkpoint_forward_only
              BEFORE UPDATE OR DELETE ON audit_checkpoint
              FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_forward_only();
            CREATE TRIGGER audit_checkpoint_no_truncate
              BEFORE TRUNCATE ON audit_checkpoint
              FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_forward_only();
            """
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_forward_only ON audit_checkpoint")
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoint_forward_only()")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
    # Keyed events cannot be verified once their version is gone: a downgrade keeps the events
    # but loses that proof (verify-audit of the older code will call them altered).
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_column('hash_version')
    op.drop_table('audit_checkpoint')
