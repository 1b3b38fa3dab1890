"""hardening: idempotency keys; SQLite never reuses ids of deleted rows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"  # 0002_users_and_assessments (the web app's users and questionnaires)
branch_labels = None
depends_on = None

# parents before children; users' ids end up in session cookies, so they must not be reused either
AUTOINCREMENT_TABLES = ("firms", "recommendations", "feedback", "users", "maturity_assessments")


def _rebuild_sqlite(autoincrement: bool) -> None:
    """SQLite hands out max(id)+1, reusing the id of a deleted last row; AUTOINCREMENT
    (a table option, so the table is rebuilt: copy, drop, rename) never does.
    api/migrations/env.py turns foreign keys off for migrations, so dropping the
    old firms/users tables cascades nothing into recommendations, feedback and
    maturity_assessments; the references are checked once all tables are rebuilt."""
    conn = op.get_bind()
    before = set(conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall())
    for table in AUTOINCREMENT_TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass
    broken = set(conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()) - before
    if broken:
        raise RuntimeError(f"foreign keys broken by the table rebuild: {sorted(broken)[:5]}")


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
    if op.get_bind().dialect.name == "sqlite":  # PostgreSQL sequences never reuse ids
        _rebuild_sqlite(True)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(False)
    op.drop_table("idempotency_keys")
