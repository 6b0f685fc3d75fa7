"""checkout expiry and who holds the stock

Every online gift's checkout expires (CHECKOUT_EXPIRES_MINUTES): the donation and the demo
checkout keep when; the donation keeps a keyed hash of the client address for the
MAX_HELD_UNITS limit.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaigns.models.base


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('expires_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
    with op.batch_alter_table('demo_checkout', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('demo_checkout', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('donation', schema=None) as batch_op:
        batch_op.drop_column('client_key')
        batch_op.drop_column('expires_at')
