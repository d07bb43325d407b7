"""journal: the milestone index covers what the outcome measures read (issue 14)

The measures find the first time each case reached a milestone (`min(at)` per case of the journal rows
of one event and track). The index of migration 0009 (event, at) found the rows but each then had to be
read from the table; (event, case_id, at, track) answers the query from the index alone, in case order
(no sorting for the grouping). Building it reads the journal once (about 3 s at a million rows on
SQLite); writes to the journal wait meanwhile.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_journal_event_at", table_name="journal")
    op.create_index("ix_journal_event_case", "journal", ["event", "case_id", "at", "track"])


def downgrade() -> None:
    op.drop_index("ix_journal_event_case", table_name="journal")
    op.create_index("ix_journal_event_at", "journal", ["event", "at"])
