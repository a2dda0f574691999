"""plans imported from Excel workbooks (issue 13)

Revision ID: 0021_plan_imports
Revises: 0020_document_jobs
Create Date: 2026-12-06 18:30:00

One row per imported workbook (``plan_import``): the LAO, the period and the file's SHA-256 make an
import idempotent (the same file twice changes nothing), and the row records who imported it, how
(a draft, or an announced version 1 with its announcement date) and what it held.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_plan_imports'
down_revision = '0020_document_jobs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_import',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('period_start_be', sa.Integer(), nullable=False),
        sa.Column('file_sha256', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('mode', sa.String(length=10), nullable=False),
        sa.Column('announced_on', sa.Date(), nullable=True),
        sa.Column('projects', sa.Integer(), nullable=False),
        sa.Column('strategies', sa.Integer(), nullable=False),
        sa.Column('imported_by_id', sa.Integer(), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("mode IN ('draft', 'announced')", name=op.f('ck_plan_import_mode')),
        sa.CheckConstraint(
            "mode = 'draft' OR announced_on IS NOT NULL", name=op.f('ck_plan_import_announced_on')
        ),
        sa.ForeignKeyConstraint(['imported_by_id'], ['user_account.id'], name=op.f('fk_plan_import_imported_by_id_user_account')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_plan_import_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_import_plan_id_plan')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_import')),
        sa.UniqueConstraint('organisation_id', 'period_start_be', 'file_sha256', name=op.f('uq_plan_import_organisation_id_period_start_be_file_sha256')),
        sa.UniqueConstraint('plan_id', name=op.f('uq_plan_import_plan_id')),
    )
    with op.batch_alter_table('plan_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_import_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_import_organisation_id'))
    op.drop_table('plan_import')
