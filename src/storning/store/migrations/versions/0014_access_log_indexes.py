"""indexes for reading and expiring the access log (who read a case, what a user read, gallring)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_access_log_case_at", "access_log", ["case_id", "at"])
    op.create_index("ix_access_log_actor_at", "access_log", ["actor", "at"])
    op.create_index("ix_access_log_at", "access_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_access_log_at", "access_log")
    op.drop_index("ix_access_log_actor_at", "access_log")
    op.drop_index("ix_access_log_case_at", "access_log")
