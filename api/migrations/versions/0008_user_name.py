"""users.name: the person's name, shown on what they prepare (the PDF plan's "prepared by")

Revision ID: 0008_user_name
Revises: 0007_feedback_history
Create Date: 2026-12-04

Self-contained: one nullable column of users (the e-mail address stands in until it is set).
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_user_name"
down_revision = "0007_feedback_history"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("name", sa.String(120), nullable=True))


def downgrade():
    with op.batch_alter_table("users", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("name")
