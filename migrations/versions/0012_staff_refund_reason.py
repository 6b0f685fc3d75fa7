"""donation.refund_reason, donation.refunded_on_behalf

Staff give a reason with each refund (kept on the gift; the audit log keeps every one),
and a refund of some shares of a gift moves their on-behalf names out of on_behalf.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('refund_reason', sa.Text(), server_default='', nullable=False)
        )
        batch_op.add_column(
            sa.Column('refunded_on_behalf', sa.JSON(), server_default='[]', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_column('refunded_on_behalf')
        batch_op.drop_column('refund_reason')
