"""donor e-mail addresses stored normalised

Donors are matched by e-mail address in Python's normal form (campaigns.addresses):
NFC, lower-cased in every script. Rows written before were stored as typed, and SQLite's
lower() folds ASCII letters only, so ``Ümit@...`` never matched ``ümit@...``: this
rewrites each address in that form. No schema change; the old spellings are not kept.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 10:00:00

"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

BATCH = 1000
donation = sa.table("donation", sa.column("id", sa.Integer), sa.column("donor_email", sa.String))


def email_key(address: str) -> str:
    # A copy of campaigns.addresses.email_key as it was when written: a migration must
    # give the same result whatever the application code later becomes.
    return unicodedata.normalize("NFC", address.strip().lower())


def upgrade():
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(donation.c.id, donation.c.donor_email)
            .where(donation.c.id > last)
            .order_by(donation.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        changed = [
            {"row_id": row.id, "email": email_key(row.donor_email)}
            for row in rows
            if email_key(row.donor_email) != row.donor_email
        ]
        if changed:
            bind.execute(
                donation.update()
                .where(donation.c.id == sa.bindparam("row_id"))
                .values(donor_email=sa.bindparam("email")),
                changed,
            )
        last = rows[-1].id


def downgrade():
    # Normalised addresses work with the older code too (it compared with lower()).
    pass
