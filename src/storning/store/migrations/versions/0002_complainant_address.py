"""complainants get a postal address, so each receives their own letters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complainants") as batch:
        batch.add_column(sa.Column("address", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("complainants") as batch:
        batch.drop_column("address")
