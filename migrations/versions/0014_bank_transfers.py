"""bank transfers: pledges' reference codes, statement lines, bank CSV formats

A bank-transfer pledge carries a unique reference code; each imported statement line is
stored once by its identity (line_key, unique); staff map each bank's CSV columns once.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 07:06:28.334497

"""
from alembic import op
import sqlalchemy as sa

import campaigns.models.base


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_csv_format',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank', sa.String(length=100), nullable=False),
    sa.Column('date_column', sa.String(length=100), nullable=False),
    sa.Column('description_column', sa.String(length=100), nullable=False),
    sa.Column('amount_column', sa.String(length=100), nullable=False),
    sa.Column('currency_column', sa.String(length=100), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('transaction_id_column', sa.String(length=100), nullable=False),
    sa.Column('sender_column', sa.String(length=100), nullable=False),
    sa.Column('created_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_csv_format')),
    sa.UniqueConstraint('bank', name=op.f('uq_bank_csv_format_bank'))
    )
    op.create_table('bank_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_key', sa.String(length=120), nullable=False),
    sa.Column('bank_reference', sa.String(length=120), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('sender', sa.String(length=200), nullable=False),
    sa.Column('status', sa.Enum('waiting', 'matched', 'recorded', 'not_donation', name='linestatus', native_enum=False, length=30), nullable=False),
    sa.Column('problem', sa.Enum('no_code', 'pledge_closed', 'currency', 'underpaid', name='lineproblem', native_enum=False, length=30), nullable=True),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=True),
    sa.Column('extra_donation_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('imported_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_bank_line_amount_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['staff_user.id'], name=op.f('fk_bank_line_decided_by_id_staff_user')),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_bank_line_donation_id_donation')),
    sa.ForeignKeyConstraint(['extra_donation_id'], ['donation.id'], name=op.f('fk_bank_line_extra_donation_id_donation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_line')),
    sa.UniqueConstraint('line_key', name=op.f('uq_bank_line_line_key'))
    )
    with op.batch_alter_table('bank_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_line_booked_on'), ['booked_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_line_donation_id'), ['donation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_line_status'), ['status'], unique=False)

    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transfer_code', sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_donation_transfer_code'), ['transfer_code'])



def downgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_donation_transfer_code'), type_='unique')
        batch_op.drop_column('transfer_code')

    with op.batch_alter_table('bank_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_line_status'))
        batch_op.drop_index(batch_op.f('ix_bank_line_donation_id'))
        batch_op.drop_index(batch_op.f('ix_bank_line_booked_on'))

    op.drop_table('bank_line')
    op.drop_table('bank_csv_format')
