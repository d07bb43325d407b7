"""an incident may have an end time, may have an unknown time of day ("tid okänd"), and records the
last correction (who, when); the corrections themselves are in the journal

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("ends_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("time_known", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("corrected_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("corrected_by", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("corrected_by")
        batch.drop_column("corrected_at")
        batch.drop_column("time_known")
        batch.drop_column("ends_at")
