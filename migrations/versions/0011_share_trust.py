"""Sharing and trust: campaign next steps and FAQ, plate names, trust pages, mail headers

A campaign keeps what happens after a gift (``next_steps``) and its questions and answers
(``faq``); an option may name what its on-behalf name is for (``on_behalf_label``); the
About, Contact and Privacy pages keep one text per language (``page``); an outbox message
may carry extra headers (List-Unsubscribe).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:20:00

"""
from alembic import op
import sqlalchemy as sa

import campaigns.models.base


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_steps', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('faq', sa.JSON(), server_default='[]', nullable=False))
    with op.batch_alter_table('donation_option', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('on_behalf_label', sa.String(length=120), server_default='', nullable=False)
        )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))
    op.create_table(
        'page',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('locale', sa.String(length=10), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('updated_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_page')),
        sa.UniqueConstraint('slug', 'locale', name=op.f('uq_page_slug_locale')),
    )


def downgrade():
    op.drop_table('page')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('headers')
    with op.batch_alter_table('donation_option', schema=None) as batch_op:
        batch_op.drop_column('on_behalf_label')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('faq')
        batch_op.drop_column('next_steps')
