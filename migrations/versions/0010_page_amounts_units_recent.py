"""suggested amounts, unit prices, designations per option, recent gifts

A campaign keeps the price of one unit (gifts of the donor's own amount count towards
its units by it), up to four suggested amounts and whether the recent gifts list shows
amounts; an option keeps the designations it may be given for; the totals keep the
remainder of gifts counted by price and the last paid gifts; a ledger entry keeps what it
moved the remainder by.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_price', sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column('suggested_amounts', sa.JSON(), nullable=False, server_default='[]')
        )
        batch_op.add_column(
            sa.Column('hide_gift_amounts', sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_check_constraint(
            'unit_price_positive', 'unit_price IS NULL OR unit_price > 0'
        )
    with op.batch_alter_table('donation_option', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('designations', sa.String(length=60), nullable=False, server_default='')
        )
    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('units_remainder', sa.BigInteger(), nullable=False, server_default='0')
        )
        batch_op.add_column(
            sa.Column('recent_gifts', sa.JSON(), nullable=False, server_default='[]')
        )
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('carried', sa.BigInteger(), nullable=False, server_default='0')
        )


def downgrade():
    with op.batch_alter_table('ledger_entry', schema=None) as batch_op:
        batch_op.drop_column('carried')
    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.drop_column('recent_gifts')
        batch_op.drop_column('units_remainder')
    with op.batch_alter_table('donation_option', schema=None) as batch_op:
        batch_op.drop_column('designations')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint('unit_price_positive', type_='check')
        batch_op.drop_column('hide_gift_amounts')
        batch_op.drop_column('suggested_amounts')
        batch_op.drop_column('unit_price')
