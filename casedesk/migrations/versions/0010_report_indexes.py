"""indexes the reports read: cases by when they were opened, resolved and closed, open
cases by queue and age, active cases by deadline, interactions and time by when

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01 14:00:00

Every report aggregates in SQL over a period; these indexes make each period an index
range, and carry the columns the reports filter by (queue, owner) or add up, so most
counts never read the table (bench/reports.py, docs/benchmarks.md):

- ``ix_case_created`` (created_at, queue_id, owner_id, area): opened per day, causes;
- ``ix_case_resolved`` / ``ix_case_closed``: resolved and closed per day, resolution
  times, resolution types; partial (only cases that have the time);
- ``ix_case_open_age`` (queue_id, created_at, owner_id) over open cases: the backlog;
- ``ix_case_active_due`` (due_at) over active cases: breaches due within the hour;
- ``ix_interaction_started`` (started_at, channel, typification, agent_id,
  duration_seconds, wrap_seconds): calls by channel and type, agent productivity;
- ``ix_time_entry_at`` (at, agent_id, minutes): minutes logged.

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


def _partial(where: str) -> dict[str, object]:
    return {"sqlite_where": sa.text(where), "postgresql_where": sa.text(where)}


def upgrade() -> None:
    op.create_index("ix_case_created", "case", ["created_at", "queue_id", "owner_id", "area"])
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


def downgrade() -> None:
    op.drop_index("ix_time_entry_at", "time_entry")
    op.drop_index("ix_interaction_started", "interaction")
    for name in ("ix_case_active_due", "ix_case_open_age", "ix_case_closed",
                 "ix_case_resolved", "ix_case_created"):
        op.drop_index(name, "case")
