"""outbox: failed messages

A message whose last try failed is marked failed (``failed_at``): the sender leaves it
alone and staff see it, until they send it again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaigns.models.base


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 12  # campaigns.services.outbox.MAX_ATTEMPTS when this was written


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_message_failed_at'), ['failed_at'], unique=False)
    # Messages the sender had already given up on: the time of their last planned try is
    # the closest on record.
    op.execute(
        "UPDATE outbox_message SET failed_at = next_attempt_at"
        f" WHERE sent_at IS NULL AND attempts >= {MAX_ATTEMPTS}"
    )


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_failed_at'))
        batch_op.drop_column('failed_at')
