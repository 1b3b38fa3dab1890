"""learning from outcomes: impressions (what a firm was shown) and feedback.impression_id

Revision ID: 0005_impressions
Revises: 0004
Create Date: 2026-11-29

Self-contained: it adds the impressions table and one column of feedback, nothing else.
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_impressions"
down_revision = "0004"  # 0004_jobs (registry-scoring jobs)
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "impressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("surface", sa.String(8), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("outcome_version", sa.String(64), nullable=True),
        sa.Column("sector", sa.String(64), nullable=False),
        sa.Column("division", sa.String(8), nullable=False),
        sa.Column("district", sa.String(120), nullable=True),
        sa.Column("province", sa.String(8), nullable=True),
        sa.Column("locality", sa.String(130), nullable=True),
        sa.Column("maturity_level", sa.Integer(), nullable=False),
        sa.Column("size_class", sa.String(16), nullable=False),
        sa.Column("customer_type", sa.String(8), nullable=False),
        sa.Column("markets", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_impressions"),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name="fk_impressions_tenant_id_tenants",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["firm_id"], ["firms.id"], name="fk_impressions_firm_id_firms", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"],
                                name="fk_impressions_recommendation_id_recommendations", ondelete="SET NULL"),
        sqlite_autoincrement=True,  # like the other tenant tables (0003): ids of deleted rows never reused
    )
    op.create_index("ix_impressions_tenant_id", "impressions", ["tenant_id"])
    op.create_index("ix_impressions_firm_id", "impressions", ["firm_id"])
    op.create_index("ix_impressions_recommendation_id", "impressions", ["recommendation_id"])
    # SQLite rebuilds feedback to add the foreign key (api/migrations/env.py turns foreign keys
    # off meanwhile, so nothing cascades); the rebuilt table keeps AUTOINCREMENT (0003)
    with op.batch_alter_table("feedback", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("impression_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_feedback_impression_id_impressions", "impressions", ["impression_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_index("ix_feedback_impression_id", ["impression_id"])


def downgrade():
    with op.batch_alter_table("feedback", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_index("ix_feedback_impression_id")
        batch.drop_constraint("fk_feedback_impression_id_impressions", type_="foreignkey")
        batch.drop_column("impression_id")
    op.drop_table("impressions")
