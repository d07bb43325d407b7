"""a sent reminder whose task is still open belongs to its case's owner, as pending timers always did

Reassigning a case moved only its pending timers; the worklist now finds the open items through the
timers' own owner (index ix_timers_owner_due), so the sent ones follow too.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE timers SET owner_id = "
        "(SELECT cases.owner_id FROM cases WHERE cases.id = timers.case_id) "
        "WHERE status = 'fired'"
    )


def downgrade() -> None:
    pass  # the owners stay as they are: nothing to undo
