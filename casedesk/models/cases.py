"""Cases, their audit trail, tasks, time entries and the number counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Index, SmallInteger, literal_column, text
from sqlmodel import Field, SQLModel, col

from casedesk.models.base import BIG_ID, json_column, utc_column

_ACTIVE_VALUES = ("new", "in_progress", "awaiting_customer", "resolved")
_ACTIVE = "status IN (" + ", ".join(f"'{v}'" for v in _ACTIVE_VALUES) + ")"
_OPEN = "status IN ('new', 'in_progress', 'awaiting_customer')"
_RESOLVED = "resolved_at IS NOT NULL"
_RATED = "satisfaction IS NOT NULL AND resolved_at IS NOT NULL"


class Case(SQLModel, table=True):
    """A unit of back-office work. It is always in one place: a queue (no owner) or a bin.

    ``due_at`` is the nearest pending SLA deadline and is what "most urgent first"
    sorts by; the inbox and WIP-bin indexes are partial indexes over active cases.
    """

    __tablename__ = "case"
    __table_args__ = (
        Index(
            "ix_case_inbox",
            "queue_id",
            "due_at",
            "id",
            sqlite_where=text(f"owner_id IS NULL AND {_ACTIVE}"),
            postgresql_where=text(f"owner_id IS NULL AND {_ACTIVE}"),
        ),
        Index(
            "ix_case_bin",
            "owner_id",
            "due_at",
            "id",
            sqlite_where=text(f"owner_id IS NOT NULL AND {_ACTIVE}"),
            postgresql_where=text(f"owner_id IS NOT NULL AND {_ACTIVE}"),
        ),
        # the supervisor's lists of escalated and inactive cases (clocks.Flag bits 128, 64)
        Index(
            "ix_case_escalated",
            "id",
            sqlite_where=text("(sla_flags & 128) <> 0"),
            postgresql_where=text("(sla_flags & 128) <> 0"),
        ),
        Index(
            "ix_case_inactive",
            "id",
            sqlite_where=text("(sla_flags & 64) <> 0"),
            postgresql_where=text("(sla_flags & 64) <> 0"),
        ),
        # the reports' periods and groups (migration 0010, which says what each serves)
        Index("ix_case_created", "created_at", "queue_id", "owner_id", "first_response_at"),
        Index("ix_case_resolved", "resolved_at", "queue_id", "owner_id",
              sqlite_where=text(_RESOLVED), postgresql_where=text(_RESOLVED)),
        Index("ix_case_closed", "closed_at", "queue_id", "owner_id",
              sqlite_where=text("closed_at IS NOT NULL"),
              postgresql_where=text("closed_at IS NOT NULL")),
        Index("ix_case_open_age", "queue_id", "created_at", "owner_id",
              sqlite_where=text(_OPEN), postgresql_where=text(_OPEN)),
        Index("ix_case_active_due", "due_at",
              sqlite_where=text(_ACTIVE), postgresql_where=text(_ACTIVE)),
        Index("ix_case_policy_created", "sla_policy_id", "created_at", "sla_flags", "status",
              "queue_id", "owner_id", sqlite_where=text("sla_policy_id IS NOT NULL"),
              postgresql_where=text("sla_policy_id IS NOT NULL")),
        Index("ix_case_open_sla", "sla_policy_id", "created_at", "sla_flags", "status",
              "first_response_at", "first_response_due", "next_response_due",
              "resolution_due", "queue_id", "owner_id",
              sqlite_where=text(_OPEN), postgresql_where=text(_OPEN)),
        Index("ix_case_area_created", "area", "created_at", "queue_id", "owner_id"),
        Index("ix_case_line_created", "contract_line_id", "created_at", "queue_id", "owner_id",
              sqlite_where=text("contract_line_id IS NOT NULL"),
              postgresql_where=text("contract_line_id IS NOT NULL")),
        Index("ix_case_account_created", "account_id", "created_at", "contract_line_id",
              "queue_id", "owner_id", sqlite_where=text("account_id IS NOT NULL"),
              postgresql_where=text("account_id IS NOT NULL")),
        Index("ix_case_resolution_type", "resolution_type", "resolved_at", "queue_id",
              "owner_id", sqlite_where=text(_RESOLVED), postgresql_where=text(_RESOLVED)),
        Index("ix_case_satisfaction", "queue_id", "resolved_at", "satisfaction", "owner_id",
              sqlite_where=text(_RATED), postgresql_where=text(_RATED)),
        Index("ix_case_owner_resolved", "owner_id", "resolved_at", "queue_id",
              sqlite_where=text(_RESOLVED), postgresql_where=text(_RESOLVED)),
        # (SQLite only, on expressions, in 0010: ix_case_first_response_seconds and
        # ix_case_resolution_seconds, which services/reports/times.py walks)
    )

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    number: int = Field(sa_type=BIG_ID, unique=True)
    title: str = Field(max_length=300)
    description: str = Field(default="")
    area: str = Field(default="general", max_length=32)
    priority: str = Field(default="medium", max_length=16)
    severity: str = Field(default="minor", max_length=16)
    status: str = Field(default="new", max_length=20)
    channel: str | None = Field(default=None, max_length=16)
    contact_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="contact.id", index=True
    )
    account_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="account.id", index=True
    )
    contract_line_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="contract_line.id"
    )
    parent_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="case.id", index=True)
    queue_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="queue.id")
    owner_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    creator_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    sla_policy_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="sla_policy.id")
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
    last_activity_at: datetime | None = Field(default=None, sa_column=utc_column())
    # SLA: one column per deadline (absolute UTC), plus when each was met.
    due_at: datetime = Field(sa_column=utc_column(nullable=False))
    first_response_due: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    first_response_warn: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    first_response_at: datetime | None = Field(default=None, sa_column=utc_column())
    next_response_due: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    next_response_warn: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    resolution_due: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    resolution_warn: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    inactivity_due: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    autoclose_due: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    paused_at: datetime | None = Field(default=None, sa_column=utc_column())
    paused_seconds: int = Field(default=0)
    # Each warning/breach is recorded once; these flags make the scan idempotent.
    sla_flags: int = Field(default=0)
    resolution_type: str | None = Field(default=None, max_length=40)
    resolution_notes: str | None = None
    #: the customer's rating, 1–5, when known (imported or from a survey)
    satisfaction: int | None = Field(default=None, sa_type=SmallInteger)
    #: the contract line's state when the case was opened, for billing: ``ok``,
    #: ``exhausted``, ``expired`` or ``none`` (no line); NULL for cases older than 0009
    entitlement: str | None = Field(default=None, max_length=16)
    resolved_at: datetime | None = Field(default=None, sa_column=utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())
    version: int = Field(default=1)
    external_id: str | None = Field(default=None, max_length=128, unique=True)
    extras: dict[str, Any] | None = Field(default=None, sa_column=json_column())


class CaseEvent(SQLModel, table=True):
    """The audit trail: one row per change of a case, with before and after."""

    __tablename__ = "case_event"
    __table_args__ = (Index("ix_case_event_case", "case_id", "at", "id"),)

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    case_id: int = Field(sa_type=BIG_ID, foreign_key="case.id", ondelete="CASCADE")
    at: datetime = Field(sa_column=utc_column(nullable=False))
    actor_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    kind: str = Field(max_length=32)
    from_queue_id: int | None = Field(default=None, sa_type=BIG_ID)
    to_queue_id: int | None = Field(default=None, sa_type=BIG_ID)
    from_owner_id: int | None = Field(default=None, sa_type=BIG_ID)
    to_owner_id: int | None = Field(default=None, sa_type=BIG_ID)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    note: str | None = None
    data: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    #: An admin acting as ``actor_id`` (``--as`` on PostgreSQL): who really did it.
    via_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")


class Task(SQLModel, table=True):
    """A step on a case (or standalone) with its own assignee and due time."""

    __tablename__ = "task"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    case_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="case.id", index=True, ondelete="CASCADE"
    )
    title: str = Field(max_length=300)
    description: str = Field(default="")
    assignee_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="agent.id", index=True
    )
    status: str = Field(default="open", max_length=16)
    position: int = Field(default=0)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    due_at: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    warn_at: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    inactivity_due: datetime | None = Field(default=None, sa_column=utc_column(index=True))
    last_activity_at: datetime | None = Field(default=None, sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column())
    sla_flags: int = Field(default=0)


class TimeEntry(SQLModel, table=True):
    """Minutes an agent spent on a case; counts against contract minutes."""

    __tablename__ = "time_entry"
    __table_args__ = (Index("ix_time_entry_agent_at", "agent_id", "at", "minutes"),)

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    case_id: int = Field(sa_type=BIG_ID, foreign_key="case.id", index=True, ondelete="CASCADE")
    agent_id: int = Field(sa_type=BIG_ID, foreign_key="agent.id")
    minutes: int
    at: datetime = Field(sa_column=utc_column(nullable=False))
    note: str | None = None
    #: ``work`` (logged by hand), ``handle`` (on the line), ``after_call`` (wrap-up)
    kind: str = Field(default="work", max_length=16, sa_column_kwargs={"server_default": "work"})
    interaction_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="interaction.id", ondelete="SET NULL"
    )


class Counter(SQLModel, table=True):
    """Human-number sequences (``case``, ``article``), claimed atomically in blocks."""

    __tablename__ = "counter"

    name: str = Field(primary_key=True, max_length=32)
    value: int = Field(sa_type=BIG_ID, default=0)


def case_is_active() -> ColumnElement[bool]:
    """``status IN ('new', …)`` with the values inline, exactly as the partial indexes say.

    A bound-parameter ``IN (?, ?, …)`` would stop SQLite from proving that a query
    implies the index's WHERE clause, and it would scan the table instead.
    """
    return col(Case.status).in_([literal_column(f"'{v}'") for v in _ACTIVE_VALUES])
