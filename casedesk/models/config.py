"""Configuration records: SLA policies, business calendars, routing rules, category skills,
case templates, and the lease of the periodic clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from casedesk.models.base import BIG_ID, json_column, utc_column


class BusinessCalendarRow(SQLModel, table=True):
    """A stored business calendar (see :class:`casedesk.services.sla.calendar.BusinessCalendar`)."""

    __tablename__ = "business_calendar"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    timezone: str = Field(max_length=64)
    hours: dict[str, Any] = Field(sa_column=json_column())  # {"0": [["09:00","18:00"]], ...}
    holidays: list[str] | None = Field(default=None, sa_column=json_column())  # ISO dates
    recurring_holidays: list[list[int]] | None = Field(default=None, sa_column=json_column())
    country: str | None = Field(default=None, max_length=8)
    subdivision: str | None = Field(default=None, max_length=16)


class SlaPolicy(SQLModel, table=True):
    """Match conditions → separate targets (minutes of business time) and escalation."""

    __tablename__ = "sla_policy"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    position: int = Field(default=100)
    active: bool = Field(default=True)
    match: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    calendar_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="business_calendar.id"
    )
    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    inactivity_minutes: int | None = None
    warning_percent: int = Field(default=80)
    autoclose_minutes: int | None = None
    escalation: dict[str, Any] | None = Field(default=None, sa_column=json_column())


class RoutingRule(SQLModel, table=True):
    """An ordered rule sending new cases to a queue and maybe to an agent."""

    __tablename__ = "routing_rule"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    position: int = Field(default=100)
    active: bool = Field(default=True)
    conditions: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    queue_id: int = Field(sa_type=BIG_ID, foreign_key="queue.id")
    #: "queue" (the queue's own strategy) or a Strategy value that overrides it.
    strategy: str = Field(default="queue", max_length=16)
    required_skills: list[str] | None = Field(default=None, sa_column=json_column())
    set_priority: str | None = Field(default=None, max_length=16)
    set_severity: str | None = Field(default=None, max_length=16)


class CategorySkill(SQLModel, table=True):
    """The skills a category (case area) needs: the ``skills`` strategy's requirement."""

    __tablename__ = "category_skill"

    area: str = Field(max_length=32, primary_key=True)
    skills: list[str] | None = Field(default=None, sa_column=json_column())


class ClockLease(SQLModel, table=True):
    """Who runs a periodic job (the SLA scan) and which tick ran last: one row per job.

    ``last_tick`` is the number of the last interval that ran (``epoch seconds // tick``);
    a runner only runs a tick greater than it, in the transaction that records it, so each
    tick runs exactly once whoever holds the lease.
    """

    __tablename__ = "clock_lease"

    name: str = Field(max_length=32, primary_key=True)
    holder: str | None = Field(default=None, max_length=200)
    holder_until: datetime | None = Field(default=None, sa_column=utc_column())
    last_tick: int = Field(sa_type=BIG_ID, default=0)
    last_run_at: datetime | None = Field(default=None, sa_column=utc_column())
    last_run_by: str | None = Field(default=None, max_length=200)
    last_seconds: float | None = None
    last_report: dict[str, Any] | None = Field(default=None, sa_column=json_column())


class CaseTemplate(SQLModel, table=True):
    """A prefilled case with its playbook of tasks."""

    __tablename__ = "case_template"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    title: str = Field(default="", max_length=300)
    description: str = Field(default="")
    area: str = Field(default="general", max_length=32)
    priority: str = Field(default="medium", max_length=16)
    severity: str = Field(default="minor", max_length=16)
    queue_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="queue.id")
    tasks: list[dict[str, Any]] | None = Field(default=None, sa_column=json_column())


class ContractTemplate(SQLModel, table=True):
    """A contract template: a name, how long a contract made from it runs, and its lines
    (``[{"name", "allotment", "total"}]``); applying it creates a contract in one step."""

    __tablename__ = "contract_template"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    description: str = Field(default="")
    duration_days: int = Field(default=365)
    lines: list[dict[str, Any]] | None = Field(default=None, sa_column=json_column())
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
