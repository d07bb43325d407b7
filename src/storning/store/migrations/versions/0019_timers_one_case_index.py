"""timers: one index that starts with case_id (issue 13)

`ix_timers_case_id` (case_id) served nothing that `ix_timers_case_due` (case_id, status, due_on) does not
serve with the same leading column, and every timer started, fired or cancelled wrote both: one page
less in every step's commit that touches a timer.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_timers_case_id", table_name="timers")


def downgrade() -> None:
    op.create_index("ix_timers_case_id", "timers", ["case_id"])
