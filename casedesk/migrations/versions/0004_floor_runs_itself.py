"""the floor runs itself: the clock's lease, queue strategies, rule actions, presence time

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:00:00

- ``clock_lease``: one row per periodic job (the SLA scan): who holds it until when, and
  the last tick that ran (each tick runs once, in the transaction that records it).
- ``queue.strategy`` (manual, round_robin, least_loaded, skills, affinity; existing
  queues stay ``manual``) and ``queue.last_assigned_id`` (round robin's cursor).
- ``routing_rule.set_priority`` / ``set_severity``: what a rule may change on the case;
  ``strategy`` now defaults to ``queue`` (the queue's own) and existing ``manual`` rules
  keep picking no one.
- ``category_skill``: the skills a case area needs (the ``skills`` strategy).
- ``agent.status_at``: when the agent's presence last changed.

Adding nullable columns and columns with a server default is instant on PostgreSQL 11+
(no table rewrite); on SQLite ``ADD COLUMN`` is too.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casedesk.models.base import BIG_ID, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clock_lease",
        sa.Column("name", sa.String(length=32), primary_key=True),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("holder_until", UTCDateTime(), nullable=True),
        sa.Column("last_tick", BIG_ID, nullable=False, server_default="0"),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_run_by", sa.String(length=200), nullable=True),
        sa.Column("last_seconds", sa.Float(), nullable=True),
        sa.Column("last_report", sa.JSON(), nullable=True),
    )
    op.create_table(
        "category_skill",
        sa.Column("area", sa.String(length=32), primary_key=True),
        sa.Column("skills", sa.JSON(), nullable=True),
    )
    with op.batch_alter_table("queue") as batch:
        batch.add_column(
            sa.Column("strategy", sa.String(length=16), nullable=False, server_default="manual")
        )
        batch.add_column(sa.Column("last_assigned_id", BIG_ID, nullable=True))
    with op.batch_alter_table("routing_rule") as batch:
        batch.add_column(sa.Column("set_priority", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("set_severity", sa.String(length=16), nullable=True))
    with op.batch_alter_table("agent") as batch:
        batch.add_column(sa.Column("status_at", UTCDateTime(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":  # SQLite: a foreign key would mean a rebuild
        op.create_foreign_key(
            "fk_queue_last_assigned_agent", "queue", "agent", ["last_assigned_id"], ["id"]
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_queue_last_assigned_agent", "queue", type_="foreignkey")
    with op.batch_alter_table("agent") as batch:
        batch.drop_column("status_at")
    with op.batch_alter_table("routing_rule") as batch:
        batch.drop_column("set_severity")
        batch.drop_column("set_priority")
    with op.batch_alter_table("queue") as batch:
        batch.drop_column("last_assigned_id")
        batch.drop_column("strategy")
    op.drop_table("category_skill")
    op.drop_table("clock_lease")
