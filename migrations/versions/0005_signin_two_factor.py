"""staff second factors: TOTP, recovery codes, e-mailed sign-in codes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:00:00

"""
from alembic import op
import sqlalchemy as sa

import campaigns.models.base


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('totp_enabled_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('email_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('email_code_sent_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('email_code_tries', sa.Integer(), nullable=False, server_default='0'))

    op.create_table('staff_recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('used_at', campaigns.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_staff_recovery_code_staff_user_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_recovery_code'))
    )
    with op.batch_alter_table('staff_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_recovery_code_staff_user_id'), ['staff_user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_recovery_code_staff_user_id'))

    op.drop_table('staff_recovery_code')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('email_code_tries')
        batch_op.drop_column('email_code_sent_at')
        batch_op.drop_column('email_code_hash')
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('locale')
