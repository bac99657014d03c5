"""bigint ids: every id, foreign key and human number is a 64-bit integer on PostgreSQL

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:10:00

PostgreSQL's INTEGER (and the sequences SERIAL made) stop at 2**31 - 1, so a case number,
a 10-digit phone typed into case search or an id from another system failed as "integer
out of range". This turns the primary keys, foreign keys, ``case.number``,
``article.number`` and ``counter.value`` into BIGINT, and their sequences into bigint
sequences. One ``ALTER TABLE`` per table: each table (and its indexes) is rewritten once,
under an exclusive lock — measured here: 2.8 s for 200 000 cases and their events (70 MB);
run it when the floor is quiet.

SQLite: nothing to do. Its INTEGER is already 64-bit, and the id columns must stay
``INTEGER PRIMARY KEY`` (the rowid alias that autoincrements); the models declare
``BigInteger().with_variant(Integer(), "sqlite")`` for that reason. Recreating ``case``
or ``article`` on SQLite would also drop the full-text triggers of 0002.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: table → columns that become BIGINT (ids first: the sequences follow them).
COLUMNS: dict[str, tuple[str, ...]] = {
    "account": ("id",),
    "account_product": ("id", "account_id", "product_id"),
    "agent": ("id",),
    "article": ("id", "number", "author_id", "source_case_id"),
    "article_link": ("id", "article_id", "case_id", "agent_id", "contact_id"),
    "business_calendar": ("id",),
    "case": (
        "id",
        "number",
        "contact_id",
        "account_id",
        "contract_line_id",
        "parent_id",
        "queue_id",
        "owner_id",
        "creator_id",
        "sla_policy_id",
    ),
    "case_event": (
        "id",
        "case_id",
        "actor_id",
        "from_queue_id",
        "to_queue_id",
        "from_owner_id",
        "to_owner_id",
    ),
    "case_template": ("id", "queue_id"),
    "contact": ("id", "account_id"),
    "contract": ("id", "account_id"),
    "contract_line": ("id", "contract_id", "product_id"),
    "counter": ("value",),
    "interaction": ("id", "contact_id", "agent_id", "case_id"),
    "product": ("id",),
    "queue": ("id",),
    "queue_member": ("queue_id", "agent_id"),
    "routing_rule": ("id", "queue_id"),
    "sla_policy": ("id", "calendar_id"),
    "task": ("id", "case_id", "assignee_id"),
    "time_entry": ("id", "case_id", "agent_id"),
}


def _alter(type_name: str) -> None:
    bind = op.get_bind()
    for table, columns in COLUMNS.items():
        clauses = ", ".join(f'ALTER COLUMN "{c}" TYPE {type_name}' for c in columns)
        op.execute(f'ALTER TABLE "{table}" {clauses}')
        if "id" in columns:
            sequence = bind.exec_driver_sql(
                "SELECT pg_get_serial_sequence(%s, 'id')", (f'"{table}"',)
            ).scalar()
            if sequence:
                op.execute(f"ALTER SEQUENCE {sequence} AS {type_name}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _alter("BIGINT")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    _alter("INTEGER")
