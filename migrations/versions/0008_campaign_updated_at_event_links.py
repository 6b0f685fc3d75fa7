"""campaign.updated_at, provider events by object and gift

A campaign keeps when anything its page shows last changed (the page cache's version);
a provider event keeps the id of the object it names and the gift it concerned, indexed,
so a gift's page finds its events without scanning every payload.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 04:40:00

"""
from alembic import op
import sqlalchemy as sa

import campaigns.models.base


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('updated_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute("UPDATE campaign SET updated_at = created_at")
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.alter_column(
            'updated_at',
            existing_type=campaigns.models.base.UTCDateTime(timezone=True),
            nullable=False,
        )
    with op.batch_alter_table('provider_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('object_id', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('donation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_provider_event_object_id'), ['object_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_provider_event_donation_id'), ['donation_id'], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_provider_event_donation_id_donation'), 'donation', ['donation_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('provider_event', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_provider_event_donation_id_donation'), type_='foreignkey'
        )
        batch_op.drop_index(batch_op.f('ix_provider_event_donation_id'))
        batch_op.drop_index(batch_op.f('ix_provider_event_object_id'))
        batch_op.drop_column('donation_id')
        batch_op.drop_column('object_id')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
