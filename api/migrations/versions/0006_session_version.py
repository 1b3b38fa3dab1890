"""revocable web sessions: users.session_version (in every session cookie, incremented on sign-out)

Revision ID: 0006_session_version
Revises: 0005_impressions
Create Date: 2026-12-04

Self-contained: one column of users, nothing else.
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_session_version"
down_revision = "0005_impressions"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite rebuilds the table (batch mode); it keeps AUTOINCREMENT like 0003 made it
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("session_version")
