"""wards: every record belongs to one ward; today's single ward becomes `default`

Revision ID: 0005
Revises: 0004

Existing rows get ward_id 1 (the server default), the ward `default` that a deployment
configured by its environment keeps being. What was unique for the deployment becomes unique
per ward (ticket codes, residents' Zalo ids, tổ codes, officers' names, sheet rows' keys).
"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# SQLite gives unique constraints no names; batch mode names the reflected ones with this
# convention so they can be dropped. PostgreSQL named them <table>_<column>_key.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}

SCOPED = ("residents", "conversations", "inbound_events", "outbound_messages", "tickets",
          "attachments", "ticket_events", "referrals", "sheet_rows", "officers",
          "residential_groups", "announcements", "announcement_runs", "leader_confirmations",
          "audit_log")
# table -> (old single-column unique, new per-ward unique name, its columns)
PER_WARD_UNIQUE = {
    "residents": [("zalo_user_id", "uq_residents_ward_user")],
    "inbound_events": [("event_key", "uq_inbound_ward_key")],
    "outbound_messages": [("dedupe_key", "uq_outbox_ward_dedupe")],
    "tickets": [("code", "uq_tickets_ward_code"), ("source_ref", "uq_tickets_ward_source")],
    "officers": [("name", "uq_officers_ward_name")],
    "residential_groups": [("code", "uq_groups_ward_code")],
    "announcements": [("source_key", "uq_announcements_ward_source")],
}


def _ward_column(**kw):
    return sa.Column("ward_id", sa.Integer(), sa.ForeignKey("wards.id", name="fk_%s_ward" % kw.pop("table")),
                     nullable=False, server_default="1", **kw)


def _old_name(table: str, column: str) -> str:
    if op.get_bind().dialect.name == "postgresql":
        return f"{table}_{column}_key"
    return f"uq_{table}_{column}"


def upgrade() -> None:
    op.create_table(
        "wards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("zalo_app_id", sa.String(length=64), nullable=True),
        sa.Column("zalo_app_secret", sa.Text(), nullable=True),
        sa.Column("zalo_oa_id", sa.String(length=64), nullable=True),
        sa.Column("zalo_oa_secret_key", sa.Text(), nullable=True),
        sa.Column("sheet_id", sa.String(length=200), nullable=True),
        sa.Column("officer_zalo_ids", sa.Text(), nullable=True),
        sa.Column("ward_profile_file", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
        sa.UniqueConstraint("zalo_oa_id"),
    )
    op.create_index("ix_wards_zalo_app_id", "wards", ["zalo_app_id"], unique=False)
    op.execute(sa.text("INSERT INTO wards (id, code, name, created_at, updated_at) "
                       "VALUES (1, 'default', '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
    if op.get_bind().dialect.name == "postgresql":  # the id given above did not move the sequence
        op.execute(sa.text("SELECT setval(pg_get_serial_sequence('wards', 'id'), 1)"))
    for table in SCOPED:
        with op.batch_alter_table(table, naming_convention=_SQLITE_NAMES) as batch:
            batch.add_column(_ward_column(table=table))
            for column, new_name in PER_WARD_UNIQUE.get(table, ()):
                batch.drop_constraint(_old_name(table, column), type_="unique")
                batch.create_unique_constraint(new_name, ["ward_id", column])
    _rekey("ticket_sequences", ["prefix", "year"],
           [sa.Column("prefix", sa.String(length=4), nullable=False),
            sa.Column("year", sa.Integer(), nullable=False),
            sa.Column("last_value", sa.Integer(), nullable=False)])
    _rekey("flags", ["name"],
           [sa.Column("name", sa.String(length=64), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.Column("updated_at", sa.DateTime(), nullable=False)])
    with op.batch_alter_table("oa_tokens") as batch:
        batch.add_column(_ward_column(table="oa_tokens"))
        batch.create_unique_constraint("uq_oa_tokens_ward_id", ["ward_id"])


def _rekey(table: str, key: list[str], columns: list[sa.Column]) -> None:
    """The primary key gains ward_id (a sequence or a flag per ward): a small table, copied
    into its new shape (SQLite cannot alter a primary key in place)."""
    names = ", ".join(c.name for c in columns)
    op.create_table(f"{table}_new", _ward_column(table=table), *columns,
                    sa.PrimaryKeyConstraint("ward_id", *key, name=f"pk_{table}_ward"))
    op.execute(sa.text(f"INSERT INTO {table}_new (ward_id, {names}) SELECT 1, {names} FROM {table}"))
    op.drop_table(table)
    op.rename_table(f"{table}_new", table)


def downgrade() -> None:
    raise NotImplementedError("wards: no way back once several wards share the tables")
