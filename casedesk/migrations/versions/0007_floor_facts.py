"""facts the reports, contracts and imports share: satisfaction, wrap-up time, kinds of time

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:50:00

- ``case.satisfaction``: the customer's rating of the case, 1–5, when known (imported,
  asked by a survey); NULL otherwise.
- ``interaction.wrap_seconds``: after-call work — the time from the end of the call (the
  agent pressed "end call") until the interaction was saved; ``duration_seconds`` stays the
  time on the line. Handle time is their sum.
- ``time_entry.kind``: ``work`` (logged by hand), ``handle`` (on the line) or
  ``after_call`` (wrap-up), and ``time_entry.interaction_id``: the call the time came from.

Nullable columns and columns with a server default: instant on PostgreSQL 11+, and the
grants and row policies of 0006 cover new columns of existing tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casedesk.models.base import BIG_ID

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE (SQLite 3.35+ adds and drops columns in place; a batch rebuild of
    # ``case`` would break the search index's views)
    op.add_column("case", sa.Column("satisfaction", sa.SmallInteger(), nullable=True))
    op.add_column(
        "interaction",
        sa.Column("wrap_seconds", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "time_entry",
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="work"),
    )
    op.add_column("time_entry", sa.Column("interaction_id", BIG_ID, nullable=True))
    if op.get_bind().dialect.name != "sqlite":  # SQLite: a foreign key would mean a rebuild
        op.create_foreign_key(
            "fk_time_entry_interaction", "time_entry", "interaction",
            ["interaction_id"], ["id"], ondelete="SET NULL",
        )
        op.create_check_constraint(
            "ck_case_satisfaction", "case", "satisfaction BETWEEN 1 AND 5"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("ck_case_satisfaction", "case", type_="check")
        op.drop_constraint("fk_time_entry_interaction", "time_entry", type_="foreignkey")
    op.drop_column("time_entry", "interaction_id")
    op.drop_column("time_entry", "kind")
    op.drop_column("interaction", "wrap_seconds")
    op.drop_column("case", "satisfaction")
