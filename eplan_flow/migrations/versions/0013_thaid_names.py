"""ThaiD's name and birth date beside the typed ones

Revision ID: 0013_thaid_names
Revises: 0012_sealing_keys
Create Date: 2026-12-06 15:40:00

Registration asks for the birth date (``user_account.birth_date``); each ThaiD verification
attempt keeps the Thai name and birth date ThaiD sent on the account (``sso_account.thaid_*``),
so a name that does not match is refused with what ThaiD said, and the approver sees both.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_thaid_names'
down_revision = '0012_sealing_keys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
    with op.batch_alter_table('sso_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('thaid_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('thaid_birthdate', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('thaid_checked_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('sso_account', schema=None) as batch_op:
        batch_op.drop_column('thaid_checked_at')
        batch_op.drop_column('thaid_birthdate')
        batch_op.drop_column('thaid_name')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('birth_date')
