"""outbox messages written when sent

The thank-you e-mail is queued by template in the paying transaction and written when it is
first sent, so its body may be empty until then.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 08:43:30.389569

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.String(length=50), nullable=True))
        batch_op.alter_column('body_text',
               existing_type=sa.TEXT(),
               nullable=True)


def downgrade():
    # A message still waiting to be written would be lost: send pending mail first.
    unwritten = op.get_bind().execute(
        sa.text("SELECT count(*) FROM outbox_message WHERE body_text IS NULL")
    ).scalar_one()
    if unwritten:
        raise RuntimeError(
            f"{unwritten} e-mail(s) are not written yet: run `flask outbox send` first"
        )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.alter_column('body_text',
               existing_type=sa.TEXT(),
               nullable=False)
        batch_op.drop_column('template')
