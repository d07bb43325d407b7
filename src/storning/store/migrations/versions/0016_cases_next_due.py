"""cases.next_due: the day of a case's earliest open item, kept by the one writer (issue 13)

The worklist sorted every visible case by a subquery over its timers (8 ms for an officer's 5,000
cases); it now reads the stored day. Filled here for every case with the definition of
`storning.due.open_item`.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("next_due", sa.Date(), nullable=True))
    op.execute(
        "UPDATE cases SET next_due = (SELECT min(timers.due_on) FROM timers "
        "WHERE timers.case_id = cases.id AND ("
        "(timers.status = 'pending' AND timers.kind IN ('reminds', 'fires', 'before')) OR "
        "(timers.status = 'fired' AND timers.kind = 'reminds' AND timers.scope = 'state' AND "
        "EXISTS (SELECT 1 FROM case_tracks WHERE case_tracks.case_id = timers.case_id "
        "AND case_tracks.track = timers.track AND case_tracks.state = timers.scope_state))))"
    )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("next_due")
