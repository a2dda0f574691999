"""jobs: notifications centre, deadline notices sent once, email outbox

Revision ID: 0007_jobs
Revises: 0006_mail
Create Date: 2026-11-26 09:05:00

"""


# revision identifiers, used by Alembic.
revision = '0007_jobs'
down_revision = '0006_mail'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
