"""official documents rendered as background jobs (issue 13)

Revision ID: 0020_document_jobs
Revises: 0019_attachments
Create Date: 2026-12-06 18:30:00

Issue 13, item 3: a long document (a ผ.02 of thousands of projects) is rendered by a job that
records its progress and leaves the file under the instance folder (eplan_flow.models.document).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_document_jobs'
down_revision = '0019_attachments'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=40), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('file_path', sa.String(length=300), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('progress >= 0 AND progress <= 100', name=op.f('ck_document_job_progress_percent')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_document_job_known_status')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_document_job_requested_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_job'))
    )
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.create_index('ix_document_job_requested_by_id_document', ['requested_by_id', 'document'], unique=False)


def downgrade():
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.drop_index('ix_document_job_requested_by_id_document')

    op.drop_table('document_job')
