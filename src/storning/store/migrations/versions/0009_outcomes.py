"""the facts the outcome measures need (issue 14)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # source: where the complaint came from; children: a count, never names (NULL = unknown);
    # outcome: set when the case closes. Codes and labels in storning.vocabulary.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("source", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("children", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("outcome", sa.String(length=30), nullable=True))
    # the measures find milestones by event and time
    op.create_index("ix_journal_event_at", "journal", ["event", "at"])


def downgrade() -> None:
    op.drop_index("ix_journal_event_at", table_name="journal")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("outcome")
        batch.drop_column("children")
        batch.drop_column("source")
