"""complainants get a phone number and an e-mail address (for the officer's updates to them), and the
time they were added (a complainant added after the opening complained later)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complainants") as batch:
        batch.add_column(sa.Column("phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("email", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("added_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complainants") as batch:
        batch.drop_column("added_at")
        batch.drop_column("email")
        batch.drop_column("phone")
