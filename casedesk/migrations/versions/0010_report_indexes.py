"""indexes the reports read: each report's period as an index range, grouped in index order

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:00:00

Every report aggregates in SQL over a period (``services/reports``). These indexes make
each period an index range and carry every column the report filters by (queue, owner) or
adds up, so no report reads the table. Where a report groups (by policy, category,
resolution type, queue, agent, channel), the group comes first and the time second: SQLite,
which groups by sorting, then reads the groups in index order instead of sorting a
million rows (``bench/reports.py``, docs/benchmarks.md). Partial indexes hold only the rows
a report can count (resolved cases, open cases, cases with a rating …).

Indexes only: no table, so no grants or row policies (0006 covers the tables).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_OPEN = "status IN ('new', 'in_progress', 'awaiting_customer')"
_ACTIVE = "status IN ('new', 'in_progress', 'awaiting_customer', 'resolved')"
_RESOLVED = "resolved_at IS NOT NULL"

#: (name, table, columns, partial WHERE or None)
INDEXES: tuple[tuple[str, str, tuple[str, ...], str | None], ...] = (
    # opened / resolved / closed per day: a count of each day's range
    ("ix_case_created", "case", ("created_at", "queue_id", "owner_id", "first_response_at"),
     None),
    ("ix_case_resolved", "case", ("resolved_at", "queue_id", "owner_id"), _RESOLVED),
    ("ix_case_closed", "case", ("closed_at", "queue_id", "owner_id"), "closed_at IS NOT NULL"),
    # the backlog by queue and age; breaches due within the hour
    ("ix_case_open_age", "case", ("queue_id", "created_at", "owner_id"), _OPEN),
    ("ix_case_active_due", "case", ("due_at",), _ACTIVE),
    # SLA compliance: the bits of every case of a policy, and the open cases' deadlines
    ("ix_case_policy_created", "case",
     ("sla_policy_id", "created_at", "sla_flags", "status", "queue_id", "owner_id"),
     "sla_policy_id IS NOT NULL"),
    ("ix_case_open_sla", "case",
     ("sla_policy_id", "created_at", "sla_flags", "status", "first_response_at",
      "first_response_due", "next_response_due", "resolution_due", "queue_id", "owner_id"),
     _OPEN),
    # top categories and products
    ("ix_case_area_created", "case", ("area", "created_at", "queue_id", "owner_id"), None),
    ("ix_case_line_created", "case", ("contract_line_id", "created_at", "queue_id", "owner_id"),
     "contract_line_id IS NOT NULL"),
    ("ix_case_account_created", "case",
     ("account_id", "created_at", "contract_line_id", "queue_id", "owner_id"),
     "account_id IS NOT NULL"),
    # resolution types, satisfaction, cases resolved per agent
    ("ix_case_resolution_type", "case",
     ("resolution_type", "resolved_at", "queue_id", "owner_id"), _RESOLVED),
    ("ix_case_satisfaction", "case", ("queue_id", "resolved_at", "satisfaction", "owner_id"),
     "satisfaction IS NOT NULL AND resolved_at IS NOT NULL"),
    ("ix_case_owner_resolved", "case", ("owner_id", "resolved_at", "queue_id"), _RESOLVED),
    # calls by channel and type; contacts and handle time per agent; minutes logged
    ("ix_interaction_calls", "interaction",
     ("channel", "typification", "started_at", "duration_seconds", "wrap_seconds",
      "agent_id"), None),
    ("ix_interaction_agent_calls", "interaction",
     ("agent_id", "channel", "started_at", "duration_seconds", "wrap_seconds"), None),
    ("ix_time_entry_agent_at", "time_entry", ("agent_id", "at", "minutes"), None),
)

#: SQLite only: the seconds to first response and to resolution as expression indexes
#: (exactly as ``services/reports/times.py`` writes them), so the median and the 90th
#: percentile are an ordered index walk, not a sort of a million rows. (PostgreSQL sorts
#: for ``percentile_cont`` fast enough, and its ``extract(epoch …)`` cannot be indexed.)
SQLITE_SECONDS = (
    'CREATE INDEX ix_case_first_response_seconds ON "case" ('
    "(strftime('%s', first_response_at) - strftime('%s', created_at)), created_at, "
    "queue_id, owner_id) WHERE first_response_at IS NOT NULL",
    'CREATE INDEX ix_case_resolution_seconds ON "case" ('
    "(strftime('%s', resolved_at) - strftime('%s', created_at)), resolved_at, "
    "queue_id, owner_id) WHERE resolved_at IS NOT NULL",
)


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        partial = {} if where is None else {
            "sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}
        op.create_index(name, table, list(columns), **partial)
    if op.get_bind().dialect.name == "sqlite":
        for sql in SQLITE_SECONDS:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_case_resolution_seconds")
        op.execute("DROP INDEX IF EXISTS ix_case_first_response_seconds")
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table)
