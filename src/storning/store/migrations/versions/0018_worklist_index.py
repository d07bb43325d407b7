"""cases: the worklist's index is (owner_id, status, next_due) (issue 13)

An officer's worklist lists their open cases by next deadline. With (owner_id, status) the database
read every one of the officer's cases and sorted them to show fifty (5–8 ms for 4,000 cases); with the
stored next deadline in the index it reads the page's rows in order and stops (0.1 ms). The new index
serves every query the old one did (same leading columns).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_owner_status", table_name="cases")
    op.create_index("ix_cases_owner_status_due", "cases", ["owner_id", "status", "next_due"])


def downgrade() -> None:
    op.drop_index("ix_cases_owner_status_due", table_name="cases")
    op.create_index("ix_cases_owner_status", "cases", ["owner_id", "status"])
