"""access requests, released case files and consent (issue 15): the release decisions

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_releases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("request_ref", sa.String(length=100), nullable=False),
        sa.Column("masked", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
    )
    op.create_index("ix_case_releases_case_id", "case_releases", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_releases_case_id", table_name="case_releases")
    op.drop_table("case_releases")
