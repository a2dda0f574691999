"""signed files attached to steps, versions and revisions (issue 13)

Revision ID: 0019_attachments
Revises: 0018_entry_windows
Create Date: 2026-12-06 18:30:00

Issue 13, item 5: the signed announcement, the minutes of a meeting and the council's resolution,
kept with a workflow step (its audit event), a plan version or a revision (``attachment``). The
file lives in the attachment store under its SHA-256 (eplan_flow.services.platform.storage).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_attachments'
down_revision = '0018_entry_windows'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'attachment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('audit_event_id', sa.Integer(), nullable=True),
        sa.Column('plan_version_id', sa.Integer(), nullable=True),
        sa.Column('revision_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('media_type', sa.String(length=40), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('storage_key', sa.String(length=200), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            '(CASE WHEN audit_event_id IS NULL THEN 0 ELSE 1 END'
            ' + CASE WHEN plan_version_id IS NULL THEN 0 ELSE 1 END'
            ' + CASE WHEN revision_id IS NULL THEN 0 ELSE 1 END) = 1',
            name=op.f('ck_attachment_one_subject'),
        ),
        sa.CheckConstraint(
            "kind IN ('signed_announcement', 'meeting_minutes', 'council_resolution', 'other')",
            name=op.f('ck_attachment_kind'),
        ),
        sa.CheckConstraint(
            "media_type IN ('application/pdf', 'image/png', 'image/jpeg')",
            name=op.f('ck_attachment_media_type'),
        ),
        sa.CheckConstraint('size_bytes > 0', name=op.f('ck_attachment_size_positive')),
        sa.ForeignKeyConstraint(['audit_event_id'], ['audit_event.id'], name=op.f('fk_attachment_audit_event_id_audit_event')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_attachment_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_attachment_plan_id_plan')),
        sa.ForeignKeyConstraint(['plan_version_id'], ['plan_version.id'], name=op.f('fk_attachment_plan_version_id_plan_version')),
        sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_attachment_revision_id_revision')),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_attachment_uploaded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_audit_event_id'), ['audit_event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_plan_version_id'), ['plan_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_revision_id'), ['revision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachment_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachment_revision_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_plan_version_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_plan_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_attachment_audit_event_id'))
    op.drop_table('attachment')
