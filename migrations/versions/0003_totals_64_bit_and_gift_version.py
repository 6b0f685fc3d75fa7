"""unit and count totals 64-bit; a version on each gift for staff actions

Unit counts and totals were 32-bit: a campaign could overflow them and then refuse to
record a paid gift. Every money and unit column that sums gifts is now 64-bit.
``donation.version`` is bumped by each staff action on a gift (a refund), so two staff
members, or one double click, act on a gift once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 04:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

WIDENED = {
    'campaign': ['units_goal'],
    'donation_option': ['unit_price', 'units'],
    'donation': ['units'],
    'ledger_entry': ['units'],
    'campaign_totals': ['units_funded', 'donations', 'donors'],
}


def _retype(old, new):
    for table, columns in WIDENED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=old, type_=new)


def upgrade():
    _retype(sa.Integer(), sa.BigInteger())
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('version', sa.Integer(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_column('version')
    _retype(sa.BigInteger(), sa.Integer())
