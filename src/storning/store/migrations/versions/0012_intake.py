"""the tenancy register, night-patrol reports and the intake queue (issue 16)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_apartments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("postal_code", sa.String(20), nullable=True),
        sa.Column("city", sa.String(100), nullable=True),
        sa.Column("municipality", sa.String(100), nullable=True),
        sa.Column("property", sa.String(100), nullable=True),
        sa.UniqueConstraint("address", "number", name="uq_register_apartment"),
    )
    op.create_table(
        "register_contracts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("contract", sa.String(80), nullable=False, unique=True),
        sa.Column(
            "apartment_id", sa.Integer(), sa.ForeignKey("register_apartments.id"), nullable=False
        ),
        sa.Column("tenant_name", sa.String(200), nullable=False),
        sa.Column("personnummer", sa.String(13), nullable=True),
        sa.Column("co_tenants", sa.JSON(), nullable=False),
        sa.Column("move_in", sa.Date(), nullable=True),
        sa.Column("move_out", sa.Date(), nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
    )
    op.create_index("ix_register_contracts_apartment", "register_contracts", ["apartment_id"])
    op.create_table(
        "register_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("contract", sa.String(80), nullable=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
    )
    op.create_index("ix_register_log_contract", "register_log", ["contract", "id"])
    op.create_table(
        "intake_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("external_id", sa.String(100), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("observed_at", sa.DateTime(), nullable=True),
        sa.Column("address", sa.String(200), nullable=True),
        sa.Column("apartment", sa.String(40), nullable=True),
        sa.Column("contract", sa.String(80), nullable=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=True),
        sa.Column("team", sa.String(80), nullable=True),
        sa.Column("protected", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(80), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=True),
        sa.UniqueConstraint("kind", "external_id", name="uq_intake_external"),
    )
    op.create_index("ix_intake_items_status_team", "intake_items", ["status", "team"])
    op.create_index("ix_intake_items_case", "intake_items", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_intake_items_case", "intake_items")
    op.drop_index("ix_intake_items_status_team", "intake_items")
    op.drop_table("intake_items")
    op.drop_index("ix_register_log_contract", "register_log")
    op.drop_table("register_log")
    op.drop_index("ix_register_contracts_apartment", "register_contracts")
    op.drop_table("register_contracts")
    op.drop_table("register_apartments")
