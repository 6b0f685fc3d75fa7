"""Fee cover: what a donor adds to a gift to cover the fees

``donation.fee_cover`` (minor units, part of ``amount``); the ledger's new kinds
``fee_cover`` and ``fee_cover_returned`` are values of its kind column (a string).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 08:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('fee_cover', sa.BigInteger(), server_default='0', nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_donation_fee_cover_within_amount'),
            'fee_cover >= 0 AND fee_cover < amount',
        )


def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_donation_fee_cover_within_amount'), type_='check')
        batch_op.drop_column('fee_cover')
