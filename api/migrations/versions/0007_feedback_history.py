"""outcome history: feedback_history keeps each outcome as it was before an edit or a delete

Revision ID: 0007_feedback_history
Revises: 0006_session_version
Create Date: 2026-12-04

Self-contained: one new table. The live feedback table (what training reads)
keeps its columns and meaning: it holds the current outcomes.
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_feedback_history"
down_revision = "0006_session_version"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "feedback_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("feedback_id", sa.Integer(), nullable=False),  # no foreign key: the row may be deleted
        sa.Column("action", sa.String(10), nullable=False),      # edited | deleted
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("market", sa.String(3), nullable=False),
        sa.Column("channel_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("revenue_band", sa.String(20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("impression_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_feedback_history"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_feedback_history_tenant_id_tenants",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name="fk_feedback_history_firm_id_firms",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_feedback_history_user_id_users",
                                ondelete="SET NULL"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_feedback_history_firm_id", "feedback_history", ["firm_id"])
    op.create_index("ix_feedback_history_feedback_id", "feedback_history", ["feedback_id"])


def downgrade():
    op.drop_table("feedback_history")
