"""the review (ทบทวน) of a plan in force and the civic forum's meetings

Revision ID: 0014_plan_reviews
Revises: 0013_thaid_names
Create Date: 2026-12-06 17:00:00

A review (``plan_review``, its items ``review_item``) walks the ข้อ 17 cycle and, announced, makes
the plan's next version (``plan_version.review_id``; the strategies as they stood are kept in
``plan_version.strategy_snapshot``). The civic forum's meeting (``civic_forum_meeting``) belongs to
a plan, a review or a revision.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_plan_reviews'
down_revision = '0013_thaid_names'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('base_version', sa.Integer(), nullable=False),
        sa.Column('result_version', sa.Integer(), nullable=True),
        sa.Column('year_be', sa.Integer(), nullable=True),
        sa.Column('sequence', sa.Integer(), nullable=True),
        sa.Column('reasons', sa.Text(), nullable=True),
        sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=40), nullable=False),
        sa.Column('workflow_name', sa.String(length=40), nullable=False),
        sa.Column('workflow_version', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_plan_review_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_plan_review_plan_id_plan')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_review')),
        sa.UniqueConstraint('organisation_id', 'year_be', 'sequence', name=op.f('uq_plan_review_organisation_id_year_be_sequence')),
    )
    with op.batch_alter_table('plan_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_review_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_review_plan_id'), ['plan_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_review_status'), ['status'], unique=False)
    op.create_table(
        'review_item',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('review_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('strategy_id', sa.Integer(), nullable=True),
        sa.Column('project_no', sa.Integer(), nullable=True),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.CheckConstraint("kind IN ('strategy', 'change', 'addition')", name=op.f('ck_review_item_kind')),
        sa.ForeignKeyConstraint(['review_id'], ['plan_review.id'], name=op.f('fk_review_item_review_id_plan_review')),
        sa.ForeignKeyConstraint(['strategy_id'], ['lao_strategy.id'], name=op.f('fk_review_item_strategy_id_lao_strategy')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_review_item')),
    )
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_item_review_id'), ['review_id'], unique=False)
    op.create_table(
        'civic_forum_meeting',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=True),
        sa.Column('review_id', sa.Integer(), nullable=True),
        sa.Column('revision_id', sa.Integer(), nullable=True),
        sa.Column('meeting_date', sa.Date(), nullable=False),
        sa.Column('place', sa.String(length=300), nullable=False),
        sa.Column('attendees', sa.Integer(), nullable=False),
        sa.Column('resolution', sa.Text(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            '(CASE WHEN plan_id IS NULL THEN 0 ELSE 1 END + CASE WHEN review_id IS NULL THEN 0 ELSE 1 END'
            ' + CASE WHEN revision_id IS NULL THEN 0 ELSE 1 END) = 1',
            name=op.f('ck_civic_forum_meeting_one_subject'),
        ),
        sa.CheckConstraint('attendees > 0', name=op.f('ck_civic_forum_meeting_attendees_positive')),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_civic_forum_meeting_plan_id_plan')),
        sa.ForeignKeyConstraint(['review_id'], ['plan_review.id'], name=op.f('fk_civic_forum_meeting_review_id_plan_review')),
        sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_civic_forum_meeting_revision_id_revision')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_civic_forum_meeting')),
        sa.UniqueConstraint('plan_id', name=op.f('uq_civic_forum_meeting_plan_id')),
        sa.UniqueConstraint('review_id', name=op.f('uq_civic_forum_meeting_review_id')),
        sa.UniqueConstraint('revision_id', name=op.f('uq_civic_forum_meeting_revision_id')),
    )
    with op.batch_alter_table('plan_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('strategy_snapshot', sa.JSON(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_plan_version_review_id_plan_review'), 'plan_review', ['review_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('plan_version', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_plan_version_review_id_plan_review'), type_='foreignkey')
        batch_op.drop_column('strategy_snapshot')
        batch_op.drop_column('review_id')
    op.drop_table('civic_forum_meeting')
    with op.batch_alter_table('review_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_item_review_id'))
    op.drop_table('review_item')
    with op.batch_alter_table('plan_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_review_status'))
        batch_op.drop_index(batch_op.f('ix_plan_review_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_review_organisation_id'))
    op.drop_table('plan_review')
