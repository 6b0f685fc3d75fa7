"""Qurban: the proxy (vekalet), animals and the shares in them; deliveries

A donation option may need the donor's proxy and group its shares into animals of a
number of shares; a gift keeps when its proxy was given; animals hold the shares assigned
to them and, once performed, the date, place and photos. Deliveries record units of a
campaign delivered; the campaign's totals count them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa

import campaigns.models.base


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation_option', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('needs_proxy', sa.Boolean(), server_default='0', nullable=False)
        )
        batch_op.add_column(sa.Column('shares_per_animal', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_donation_option_shares_per_animal_positive'),
            'shares_per_animal IS NULL OR shares_per_animal > 0',
        )
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('proxy_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table('animal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=True),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('performed_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_animal_capacity_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_animal_campaign_id_campaign')),
    sa.ForeignKeyConstraint(['option_id'], ['donation_option.id'], name=op.f('fk_animal_option_id_donation_option')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_animal')),
    sa.UniqueConstraint('campaign_id', 'number', name=op.f('uq_animal_campaign_id_number'))
    )
    with op.batch_alter_table('animal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_animal_campaign_id'), ['campaign_id'], unique=False)
    op.create_table('share_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Integer(), nullable=False),
    sa.Column('animal_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('share >= 0', name=op.f('ck_share_assignment_share_not_negative')),
    sa.ForeignKeyConstraint(['animal_id'], ['animal.id'], name=op.f('fk_share_assignment_animal_id_animal')),
    sa.ForeignKeyConstraint(['donation_id'], ['donation.id'], name=op.f('fk_share_assignment_donation_id_donation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_assignment')),
    sa.UniqueConstraint('donation_id', 'share', name=op.f('uq_share_assignment_donation_id_share'))
    )
    with op.batch_alter_table('share_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_assignment_animal_id'), ['animal_id'], unique=False)


    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('units_delivered', sa.BigInteger(), server_default='0', nullable=False)
        )
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('delivered_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('photos', sa.JSON(), nullable=False),
    sa.Column('created_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('units > 0', name=op.f('ck_delivery_units_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], name=op.f('fk_delivery_campaign_id_campaign')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_campaign_id'))
    op.drop_table('delivery')
    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.drop_column('units_delivered')
    with op.batch_alter_table('share_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_assignment_animal_id'))
    op.drop_table('share_assignment')
    with op.batch_alter_table('animal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_animal_campaign_id'))
    op.drop_table('animal')
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_column('proxy_at')
    with op.batch_alter_table('donation_option', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('ck_donation_option_shares_per_animal_positive'), type_='check'
        )
        batch_op.drop_column('shares_per_animal')
        batch_op.drop_column('needs_proxy')
