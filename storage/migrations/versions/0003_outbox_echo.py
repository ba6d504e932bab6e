"""outbox: sends whose outcome is unknown wait for Zalo's oa_send_* echo

Revision ID: 0003
Revises: 0001_initial
"""
from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.add_column(sa.Column("first_attempt_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("unknown_since", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("unknown_sends", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages") as batch:
        batch.drop_column("unknown_sends")
        batch.drop_column("unknown_since")
        batch.drop_column("first_attempt_at")
