"""copies and posting after announcement, routing

Revision ID: 0016_announcement_duties
Revises: 0015_revision_rules
Create Date: 2026-12-06 17:00:00

What an LAO did after announcing a plan or a revision (issue 12, item 6): the day copies went to
the council, the district and the province, and the day the announcement was posted, one row per
duty done (``announcement_duty``). What is owed is computed from the announcements and the rule
data (``workflows.deadlines.DEADLINES_V2``); routing and holidays need no schema.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0016_announcement_duties'
down_revision = '0015_revision_rules'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'announcement_duty',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=10), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('duty', sa.String(length=10), nullable=False),
        sa.Column('done_on', sa.Date(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duty IN ('copies', 'posting')", name=op.f('ck_announcement_duty_duty')),
        sa.CheckConstraint("subject IN ('plan', 'revision')", name=op.f('ck_announcement_duty_subject')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_announcement_duty_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_announcement_duty_plan_id_plan')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_announcement_duty_recorded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_duty')),
        sa.UniqueConstraint('subject', 'subject_id', 'duty', name=op.f('uq_announcement_duty_subject_subject_id_duty')),
    )
    with op.batch_alter_table('announcement_duty', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_duty_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_duty_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('announcement_duty', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_duty_plan_id'))
        batch_op.drop_index(batch_op.f('ix_announcement_duty_organisation_id'))
    op.drop_table('announcement_duty')
