"""revision numbering settings, the ข้อ 22/2 basis and the corrected fact

Revision ID: 0015_revision_rules
Revises: 0014_plan_reviews
Create Date: 2026-12-06 17:00:00

Issue 12 (items 3, 5, 8): each announced revision's numbers live in ``revision_number`` (a bundle
takes one, or one per kind), unique per LAO, year basis, year and counter; the numbers version 1
revisions took are copied there (calendar year, per bundle label), and the old unique constraint on
``revision`` gives way to it. ``revision_numbering`` holds an LAO's own settings. A revision
records its announced title and its ข้อ 22/2 basis and letter; a correction item its fact.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_revision_rules'
down_revision = '0014_plan_reviews'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_constraint('uq_revision_organisation_id_year_be_label_sequence', type_='unique')
        batch_op.add_column(sa.Column('numbered_title', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('policy_basis', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('policy_letter_no', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('policy_letter_date', sa.Date(), nullable=True))
    with op.batch_alter_table('revision_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fact', sa.Text(), nullable=True))
    op.create_table(
        'revision_number',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('revision_id', sa.Integer(), nullable=False),
        sa.Column('year_basis', sa.String(length=10), nullable=False),
        sa.Column('year_be', sa.Integer(), nullable=False),
        sa.Column('counter', sa.String(length=100), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.CheckConstraint("year_basis IN ('fiscal', 'calendar')", name=op.f('ck_revision_number_year_basis')),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_revision_number_organisation_id_organisation')),
        sa.ForeignKeyConstraint(['revision_id'], ['revision.id'], name=op.f('fk_revision_number_revision_id_revision')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revision_number')),
        sa.UniqueConstraint('organisation_id', 'year_basis', 'year_be', 'counter', 'number', name=op.f('uq_revision_number_organisation_id_year_basis_year_be_counter_number')),
    )
    with op.batch_alter_table('revision_number', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revision_number_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revision_number_revision_id'), ['revision_id'], unique=False)
    op.execute(
        "INSERT INTO revision_number (organisation_id, revision_id, year_basis, year_be, counter, number) "
        "SELECT organisation_id, id, 'calendar', year_be, label, sequence FROM revision "
        "WHERE status = 'announced' AND sequence IS NOT NULL AND label IS NOT NULL"
    )
    op.create_table(
        'revision_numbering',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('year_basis', sa.String(length=10), nullable=True),
        sa.Column('counter_scope', sa.String(length=10), nullable=True),
        sa.Column('number_word', sa.String(length=20), nullable=True),
        sa.Column('next_numbers', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_revision_numbering_organisation_id_organisation')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revision_numbering')),
        sa.UniqueConstraint('organisation_id', name=op.f('uq_revision_numbering_organisation_id')),
    )


def downgrade():
    op.drop_table('revision_numbering')
    with op.batch_alter_table('revision_number', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revision_number_revision_id'))
        batch_op.drop_index(batch_op.f('ix_revision_number_organisation_id'))
    op.drop_table('revision_number')
    with op.batch_alter_table('revision_item', schema=None) as batch_op:
        batch_op.drop_column('fact')
    with op.batch_alter_table('revision', schema=None) as batch_op:
        batch_op.drop_column('policy_letter_date')
        batch_op.drop_column('policy_letter_no')
        batch_op.drop_column('policy_basis')
        batch_op.drop_column('numbered_title')
        batch_op.create_unique_constraint(
            'uq_revision_organisation_id_year_be_label_sequence', ['organisation_id', 'year_be', 'label', 'sequence']
        )
