"""translations of what the charity writes

Campaigns, donation options, reports, report figures and report photos keep the other
languages' versions of their text in one JSON column each, ``translations``
({"tr": {"title": "..."}, "ar": {...}}); the existing columns keep the charity's own
language (CONTENT_LANGUAGE).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLES = ('campaign', 'donation_option', 'activity_report', 'report_figure', 'report_image')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('translations', sa.JSON(), server_default='{}', nullable=False)
            )


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('translations')
