"""Recent gifts read from the donations, not kept with the totals

A campaign page lists its last paid gifts by one query on the new index
``ix_donation_recent`` (campaign, status, paid_at, id: the list's own order, so ten rows
are read however many gifts the campaign has), and ``campaign_totals.recent_gifts`` goes:
a paying transaction no longer reads and rewrites that list while it holds the campaign's
totals row, which every gift to the campaign waits for. The new index leads with the
campaign, so ``ix_donation_campaign_id`` goes too: one index less to write on every
gift's insert and status change.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 10:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_donation_recent', 'donation', ['campaign_id', 'status', 'paid_at', 'id'])
    op.drop_index('ix_donation_campaign_id', table_name='donation')
    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.drop_column('recent_gifts')


def downgrade():
    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recent_gifts', sa.JSON(), nullable=True))
    op.create_index('ix_donation_campaign_id', 'donation', ['campaign_id'])
    op.drop_index('ix_donation_recent', table_name='donation')
