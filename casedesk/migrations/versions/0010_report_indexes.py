"""indexes the reports read: cases by when they were opened, resolved and closed, open
cases by queue and age, active cases by deadline, interactions and time by when

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01 14:00:00

Every report aggregates in SQL over a period; these indexes make each period an index
range, and carry the columns the reports filter by (queue, owner) or add up, so most
counts never read the table (bench/reports.py, docs/benchmarks.md):

- ``ix_case_created`` (created_at, queue_id, owner_id, area, account_id,
  contract_line_id, sla_policy_id, sla_flags, status): opened per day, causes, SLA;
- ``ix_case_resolved`` / ``ix_case_closed``: resolved and closed per day, resolution
  times, resolution types; partial (only cases that have the time);
- ``ix_case_open_age`` (queue_id, created_at, owner_id) over open cases: the backlog;
- ``ix_case_active_due`` (due_at) over active cases: breaches due within the hour;
- ``ix_interaction_started`` (started_at, channel, typification, agent_id,
  duration_seconds, wrap_seconds): calls by channel and type, agent productivity;
- ``ix_time_entry_at`` (at, agent_id, minutes): minutes logged;
- SQLite only, on expressions: the seconds to first response and to resolution
  (``ix_case_first_response_seconds``, ``ix_case_resolution_seconds``): percentiles.

Indexes only: no table, so no grants or row policies (0006 covers the tables).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0007"
branch_labels = None
depends_on = None

_OPEN = "status IN ('new', 'in_progress', 'awaiting_customer')"
_ACTIVE = "status IN ('new', 'in_progress', 'awaiting_customer', 'resolved')"


#: What the reports read of the cases opened in a period (covered: no table reads).
_CREATED = ("created_at", "queue_id", "owner_id", "area", "account_id", "contract_line_id",
            "sla_policy_id", "sla_flags", "status")


def _partial(where: str) -> dict[str, object]:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


#: SQLite only: the seconds to first response and to resolution as expression indexes
#: (exactly as ``services/reports/times.py`` writes them), so the median and the 90th
#: percentile are an ordered index walk, not a sort of a million rows. (PostgreSQL sorts
#: for ``percentile_cont`` fast enough, and its ``extract(epoch …)`` cannot be indexed.)
_SQLITE_SECONDS = (
    'CREATE INDEX ix_case_first_response_seconds ON "case" ('
    "(strftime('%s', first_response_at) - strftime('%s', created_at)), created_at, "
    "queue_id, owner_id) WHERE first_response_at IS NOT NULL",
    'CREATE INDEX ix_case_resolution_seconds ON "case" ('
    "(strftime('%s', resolved_at) - strftime('%s', created_at)), resolved_at, "
    "queue_id, owner_id) WHERE resolved_at IS NOT NULL",
)


def upgrade() -> None:
    op.create_index("ix_case_created", "case", list(_CREATED))
    op.create_index("ix_case_resolved", "case", ["resolved_at", "queue_id", "owner_id"],
                    **_partial("resolved_at IS NOT NULL"))
    op.create_index("ix_case_closed", "case", ["closed_at", "queue_id", "owner_id"],
                    **_partial("closed_at IS NOT NULL"))
    op.create_index("ix_case_open_age", "case", ["queue_id", "created_at", "owner_id"],
                    **_partial(_OPEN))
    op.create_index("ix_case_active_due", "case", ["due_at"], **_partial(_ACTIVE))
    op.create_index(
        "ix_interaction_started", "interaction",
        ["started_at", "channel", "typification", "agent_id", "duration_seconds",
         "wrap_seconds"],
    )
    op.create_index("ix_time_entry_at", "time_entry", ["at", "agent_id", "minutes"])
    if op.get_bind().dialect.name == "sqlite":
        for sql in _SQLITE_SECONDS:
            op.execute(sql)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_case_resolution_seconds")
        op.execute("DROP INDEX IF EXISTS ix_case_first_response_seconds")
    op.drop_index("ix_time_entry_at", "time_entry")
    op.drop_index("ix_interaction_started", "interaction")
    for name in ("ix_case_active_due", "ix_case_open_age", "ix_case_closed",
                 "ix_case_resolved", "ix_case_created"):
        op.drop_index(name, "case")
