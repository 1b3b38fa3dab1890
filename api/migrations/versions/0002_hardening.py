"""hardening: idempotency keys; SQLite never reuses ids of deleted rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

AUTOINCREMENT_TABLES = ("firms", "recommendations", "feedback")


def upgrade():
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("operation", sa.String(100), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_idempotency_keys_tenant_id_tenants",
                                ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_idempotency_keys_tenant_id_key"),
    )
    if op.get_bind().dialect.name == "sqlite":
        # SQLite hands out max(id)+1, reusing the id of a deleted last row; AUTOINCREMENT
        # (a table option, so the table is rebuilt) never does. PostgreSQL sequences never reuse.
        for table in AUTOINCREMENT_TABLES:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for table in AUTOINCREMENT_TABLES:
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
                pass
    op.drop_table("idempotency_keys")
