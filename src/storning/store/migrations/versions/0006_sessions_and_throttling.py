"""server-side web sessions, several expiring API tokens per user, login attempts shared by every
process (throttling), and per-database secrets (the session cookie's key); the single token in
`users.api_token_hash` moves to `api_tokens` (issue 11 items 1, 2 and 7)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_reason", sa.String(length=20), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("flash", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("web_sessions") as batch:
        batch.create_index("ix_web_sessions_user_id", ["user_id"], unique=False)
        batch.create_index("ix_web_sessions_expires_at", ["expires_at"], unique=False)

    tokens = op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.create_index("ix_api_tokens_user_id", ["user_id"], unique=False)

    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("door", sa.String(length=10), nullable=False),
        sa.Column("account_key", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_attempts") as batch:
        batch.create_index("ix_login_attempts_at", ["at"], unique=False)
        batch.create_index("ix_login_attempts_account", ["account_key", "at"], unique=False)
        batch.create_index("ix_login_attempts_address", ["address", "at"], unique=False)

    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )

    # The one token a user had keeps working, now as a row of its own (created "now": the old column
    # did not say when).
    users = sa.table(
        "users",
        sa.column("id", sa.Integer()),
        sa.column("api_token_hash", sa.String(length=128)),
    )
    connection = op.get_bind()
    held = connection.execute(
        sa.select(users.c.id, users.c.api_token_hash).where(users.c.api_token_hash.is_not(None))
    ).all()
    moved = datetime.now(UTC).replace(tzinfo=None)
    if held:
        op.bulk_insert(
            tokens,
            [
                {"user_id": user_id, "token_hash": digest, "created_at": moved}
                for user_id, digest in held
                if len(digest) == 64
            ],
        )
        connection.execute(sa.update(users).values(api_token_hash=None))


def downgrade() -> None:
    op.drop_table("app_secrets")
    with op.batch_alter_table("login_attempts") as batch:
        batch.drop_index("ix_login_attempts_address")
        batch.drop_index("ix_login_attempts_account")
        batch.drop_index("ix_login_attempts_at")
    op.drop_table("login_attempts")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_index("ix_api_tokens_user_id")
    op.drop_table("api_tokens")
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_index("ix_web_sessions_expires_at")
        batch.drop_index("ix_web_sessions_user_id")
    op.drop_table("web_sessions")
