"""Column types and vocabularies shared by every table.

Datetimes are stored in UTC and always come back timezone-aware, on SQLite too
(:class:`UTCDateTime`). Vocabularies are ``StrEnum``s stored as short strings, so
both databases hold the same plain text and migrations never fight native enums.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, Table, literal_column, types
from sqlalchemy import inspect as sa_inspect
from sqlmodel import SQLModel

#: Ids, foreign keys and human numbers: BIGINT on PostgreSQL, where INTEGER stops at
#: 2**31 - 1; plain INTEGER on SQLite, which is 64-bit already and must stay the
#: ``INTEGER PRIMARY KEY`` rowid alias that autoincrements.
BIG_ID = BigInteger().with_variant(Integer(), "sqlite")
#: The largest id or number either database stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def saved_id(value: int | None) -> int:
    """The id of a row read from (or flushed to) the database, which is never None."""
    if value is None:
        raise ValueError("the row has no id yet: it was never flushed")
    return value


def fixed_limit(rows: int) -> Any:
    """``LIMIT rows`` written into the statement, not bound: every statement is prepared
    (:data:`casedesk.db.PREPARE_THRESHOLD`), and PostgreSQL's generic plan guesses a
    bound LIMIT at a tenth of the rows, so the ``LIMIT 1`` claim was planned again on
    every call (2.0 ms of planning beside 1.3 ms of work, floor bench) or, forced
    generic, hashed the whole case table (11 ms). For limits that are constants of the
    code."""
    return literal_column(str(int(rows)), Integer())


def table_of(model: type[SQLModel]) -> Table:
    """The ``Table`` of a table model (its ``__table__``), for Core inserts."""
    table = sa_inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


class UTCDateTime(types.TypeDecorator[datetime]):
    """An aware-UTC datetime on every backend; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: casedesk stores aware UTC times only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A fresh ``Column`` of :class:`UTCDateTime` (SQLModel needs one per field)."""
    return Column(UTCDateTime(), nullable=nullable, index=index)


def json_column(default: Any = None) -> Any:
    """A JSON column (JSON on SQLite, JSON on PostgreSQL) with a Python-side default."""
    return Column(JSON, nullable=True, default=default)


class Tier(StrEnum):
    standard = "standard"
    gold = "gold"
    vip = "vip"


class Role(StrEnum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


class Strategy(StrEnum):
    """How a queue picks an agent for a routed case (DESIGN §Routing)."""

    manual = "manual"  # the case waits in the queue to be pulled
    round_robin = "round_robin"
    least_loaded = "least_loaded"
    skills = "skills"
    affinity = "affinity"


class AgentStatus(StrEnum):
    available = "available"
    busy = "busy"
    away = "away"
    offline = "offline"


class Priority(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class Severity(StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"


class Status(StrEnum):
    new = "new"
    in_progress = "in_progress"
    awaiting_customer = "awaiting_customer"
    resolved = "resolved"
    closed = "closed"
    cancelled = "cancelled"


#: Statuses in which a case is still somebody's work (shown in inboxes and bins).
ACTIVE_STATUSES = (Status.new, Status.in_progress, Status.awaiting_customer, Status.resolved)
#: Statuses from which a case may be cancelled.
OPEN_STATUSES = (Status.new, Status.in_progress, Status.awaiting_customer)


class Channel(StrEnum):
    phone = "phone"
    email = "email"
    visit = "visit"
    letter = "letter"
    chat = "chat"
    web = "web"


class Direction(StrEnum):
    inbound = "inbound"
    outbound = "outbound"


class Typification(StrEnum):
    query = "query"
    complaint = "complaint"
    request = "request"
    incident = "incident"
    claim = "claim"
    other = "other"


class Area(StrEnum):
    technical = "technical"
    billing = "billing"
    commercial = "commercial"
    general = "general"


class ArticleStatus(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


class TimeKind(StrEnum):
    """What a time entry counts: logged by hand, time on the line, or after-call work."""

    work = "work"
    handle = "handle"
    after_call = "after_call"


class TaskStatus(StrEnum):
    open = "open"
    done = "done"
    cancelled = "cancelled"


def utcnow_for_default() -> datetime:
    """Only for column defaults of rows created outside the services (imports, seeds)."""
    return datetime.now(UTC)
