"""Plain read models the services return (never live ORM objects)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from casedesk.services.numbers import case_label


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_iso(v) for v in value]
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    return value


class JsonMixin:
    def to_json(self) -> dict[str, Any]:
        return {k: _iso(v) for k, v in asdict(self).items()}  # type: ignore[call-overload]


@dataclass(frozen=True)
class CaseRow(JsonMixin):
    """One line of an inbox, a bin or a search result."""

    id: int
    number: int
    label: str
    title: str
    status: str
    priority: str
    severity: str
    area: str
    queue: str | None
    owner: str | None
    owner_name: str | None
    contact: str | None
    due_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    next_response_due: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class CaseDetail(JsonMixin):
    """Everything the case screen's header and SLA panel show."""

    id: int
    number: int
    label: str
    title: str
    description: str
    status: str
    priority: str
    severity: str
    area: str
    channel: str | None
    queue: str | None
    owner: str | None
    owner_name: str | None
    creator: str | None
    contact_id: int | None
    contact: str | None
    contact_email: str | None
    contact_phone: str | None
    account: str | None
    account_tier: str | None
    contract_line: str | None
    parent: str | None
    children: list[str]
    sla_policy: str | None
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime | None
    due_at: datetime
    first_response_due: datetime | None
    first_response_at: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    inactivity_due: datetime | None
    autoclose_due: datetime | None
    paused_at: datetime | None
    paused_seconds: int
    sla_flags: int
    resolution_type: str | None
    resolution_notes: str | None
    resolved_at: datetime | None
    closed_at: datetime | None
    version: int


@dataclass(frozen=True)
class TimelineEntry(JsonMixin):
    """One line of a case's history: an event, an interaction or a time entry."""

    at: datetime
    kind: str
    actor: str | None
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InteractionView(JsonMixin):
    id: int
    channel: str
    direction: str
    typification: str
    contact_id: int | None
    contact: str | None
    agent: str | None
    case: str | None
    started_at: datetime
    duration_seconds: int
    subject: str
    notes: str


@dataclass(frozen=True)
class AgentView(JsonMixin):
    id: int
    login: str
    name: str
    role: str
    skills: list[str]
    capacity: int
    status: str
    active: bool
    queues: list[str]
    wip: int = 0


@dataclass(frozen=True)
class QueueView(JsonMixin):
    id: int
    name: str
    area: str
    description: str | None
    members: list[str]
    waiting: int = 0
    warning: int = 0
    breached: int = 0


@dataclass(frozen=True)
class Page(JsonMixin):
    """A keyset page: ``next_after`` is the cursor for the following page (None at the end)."""

    rows: list[CaseRow]
    next_after: tuple[datetime, int] | None


@dataclass(frozen=True)
class CustomerHistory(JsonMixin):
    contact_id: int
    contact: str
    account: str | None
    interactions: list[InteractionView]
    cases: list[CaseRow]
    products: list[str]
    contracts: list[str]


def label_of(number: int | None) -> str | None:
    return case_label(number) if number is not None else None
