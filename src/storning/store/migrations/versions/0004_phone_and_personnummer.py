"""officers get a phone number for their letters; a case records the tenant's personnummer (for the
application to Kronofogden)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("personnummer", sa.String(length=13), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("personnummer")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("phone")
