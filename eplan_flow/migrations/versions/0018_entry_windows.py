"""read-only data-entry windows

Revision ID: 0018_entry_windows
Revises: 0017_catalogue_periods
Create Date: 2026-12-06 17:00:00

Issue 12, item 12: DLA admins schedule windows in which e-Plan takes no data entry
(eplan_flow.models.entry_window, workflows/entry_windows.py).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_entry_windows'
down_revision = '0017_catalogue_periods'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('entry_window',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('rule_version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_early_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_entry_window_ends_after_start')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_entry_window_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entry_window'))
    )
    with op.batch_alter_table('entry_window', schema=None) as batch_op:
        batch_op.create_index('ix_entry_window_ends_at', ['ends_at'], unique=False)


def downgrade():
    with op.batch_alter_table('entry_window', schema=None) as batch_op:
        batch_op.drop_index('ix_entry_window_ends_at')

    op.drop_table('entry_window')
