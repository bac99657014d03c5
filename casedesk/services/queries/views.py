"""Plain read models the services return (never live ORM objects)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from casedesk.services.contracts.views import ContractView

from casedesk.services.numbers import case_label
from casedesk.services.sla.clocks import CLOCKS


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
        return {k: _iso(v) for k, v in asdict(cast("DataclassInstance", self)).items()}


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
    #: When ``status`` last changed (None: never since it was recorded).
    status_at: datetime | None = None
    #: The agent's team (None: the desk's own staff).
    team: str | None = None


@dataclass(frozen=True)
class PresenceView(JsonMixin):
    """An agent's presence after a change, and the cases going offline returned."""

    login: str
    name: str
    status: str
    since: datetime | None
    #: The labels of the cases returned to their queues (going offline).
    returned: list[str] = field(default_factory=list)


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
    #: How a routed case picks an agent (a ``Strategy`` value).
    strategy: str = "manual"
    #: The team that owns the queue (None: the desk's own).
    team: str | None = None


@dataclass(frozen=True)
class TeamView(JsonMixin):
    """A team: its agents and the queues it owns."""

    id: int
    name: str
    description: str | None
    members: list[str]
    queues: list[str]


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


# --- knowledge base -----------------------------------------------------------


@dataclass(frozen=True)
class ArticleLinkView(JsonMixin):
    """An article used on a case, or sent to its customer."""

    kind: str
    case: str
    case_title: str
    agent: str | None
    contact: str | None
    at: datetime


@dataclass(frozen=True)
class ArticleView(JsonMixin):
    """An article with its Markdown body and its latest links."""

    id: int
    number: int
    label: str
    title: str
    keywords: str
    body: str
    status: str
    author: str | None
    author_name: str | None
    source_case: str | None
    created_at: datetime
    updated_at: datetime
    used_count: int
    version: int
    external_id: str | None
    links: list[ArticleLinkView] = field(default_factory=list)


@dataclass(frozen=True)
class ArticleHit(JsonMixin):
    """One search result. ``snippet``: a line of the body, matches between MARK_START and
    MARK_END (``[b]``…``[/b]``)."""

    id: int
    number: int
    label: str
    title: str
    keywords: str
    status: str
    snippet: str
    score: float
    used_count: int
    updated_at: datetime


@dataclass(frozen=True)
class GuidanceArticle(JsonMixin):
    """A published article suggested for a case, and why."""

    id: int
    number: int
    label: str
    title: str
    snippet: str
    score: float
    used_count: int
    reasons: list[str]


@dataclass(frozen=True)
class SimilarCase(JsonMixin):
    """A resolved or closed case like the one at hand, with what solved it."""

    id: int
    number: int
    label: str
    title: str
    status: str
    resolution_type: str | None
    resolution_notes: str | None
    score: float
    articles: list[str]


@dataclass(frozen=True)
class Guidance(JsonMixin):
    """What to read while a case is open: articles, and similar solved cases."""

    case: str
    terms: list[str]
    articles: list[GuidanceArticle]
    cases: list[SimilarCase]


@dataclass(frozen=True)
class ReindexReport(JsonMixin):
    backend: str
    articles: int
    cases: int
    seconds: float


# --- supervisor board ---------------------------------------------------------


@dataclass(frozen=True)
class QueueLoad(JsonMixin):
    """One queue's load and SLA health."""

    id: int
    name: str
    area: str
    waiting: int
    new: int
    new_capped: bool
    warning: int
    warning_capped: bool
    breached: int
    members: int
    available: int
    #: How a routed case picks an agent (a ``Strategy`` value).
    strategy: str = "manual"
    #: Why cases wait though the strategy assigns: the routing reason on the create event
    #: of the latest case that waits (None: manual, nothing waits, or none recorded).
    wait_reason: str | None = None


@dataclass(frozen=True)
class AgentLoad(JsonMixin):
    """One agent's availability and WIP against capacity."""

    id: int
    login: str
    name: str
    role: str
    status: str
    active: bool
    capacity: int
    wip: int
    breached: int
    queues: list[str]
    #: When ``status`` last changed (presence: "away since 10:42").
    status_at: datetime | None = None

    @property
    def load_percent(self) -> int:
        return round(100 * self.wip / self.capacity) if self.capacity else 0


@dataclass(frozen=True)
class WarnTimes(JsonMixin):
    """The warning times of a case's clocks (lists carry only the deadlines)."""

    first_response: datetime | None
    next_response: datetime | None
    resolution: datetime | None

    def nearest(self) -> datetime | None:
        times = [t for t in (self.first_response, self.next_response, self.resolution) if t]
        return min(times) if times else None


# --- sla explanations ---------------------------------------------------------


@dataclass(frozen=True)
class ClockLine(JsonMixin):
    kind: str
    state: str | None
    due: datetime | None
    left_seconds: int | None
    text: str


@dataclass(frozen=True)
class Explanation(JsonMixin):
    """Every clock of one case in words, and the one sentence that matters most."""

    case: str
    status: str
    policy: str | None
    calendar: str | None
    timezone: str
    clocks: list[ClockLine]
    sentence: str


# --- sla policies and calendars -----------------------------------------------


@dataclass(frozen=True)
class PolicyView(JsonMixin):
    name: str
    position: int
    active: bool
    match: dict[str, Any]
    calendar: str | None
    first_response: str
    next_response: str
    resolution: str
    inactivity: str
    warning_percent: int
    autoclose: str
    escalation: dict[str, Any]


@dataclass(frozen=True)
class CalendarView(JsonMixin):
    name: str
    timezone: str
    hours: dict[str, Any]
    holidays: list[str]
    recurring: list[list[int]]
    country: str | None
    subdivision: str | None


# --- sla scan -----------------------------------------------------------------


@dataclass
class ScanReport(JsonMixin):
    """What one scan recorded, by kind. All zero when there was nothing to do."""

    at: datetime
    warnings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLOCKS, 0))
    breaches: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CLOCKS, 0))
    task_warnings: int = 0
    task_breaches: int = 0
    inactive: int = 0
    inactive_tasks: int = 0
    escalated: int = 0
    autoclosed: int = 0
    #: Waiting cases the clock then gave to an agent (``workflow.backlog``).
    assigned: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        """Everything recorded or changed."""
        return (
            sum(self.warnings.values())
            + sum(self.breaches.values())
            + self.task_warnings
            + self.task_breaches
            + self.inactive
            + self.inactive_tasks
            + self.escalated
            + self.autoclosed
            + self.assigned
        )

    def counts(self) -> dict[str, int]:
        """Flat counts, e.g. ``{"resolution_breach": 3, …, "autoclosed": 1}``."""
        flat = {f"{k}_warning": v for k, v in self.warnings.items()}
        flat |= {f"{k}_breach": v for k, v in self.breaches.items()}
        flat |= {
            "task_warning": self.task_warnings,
            "task_breach": self.task_breaches,
            "inactive": self.inactive,
            "inactive_task": self.inactive_tasks,
            "escalated": self.escalated,
            "autoclosed": self.autoclosed,
            "assigned": self.assigned,
        }
        return flat


# --- tasks --------------------------------------------------------------------


@dataclass(frozen=True)
class TaskView(JsonMixin):
    id: int
    case: str | None
    title: str
    description: str
    assignee: str | None
    status: str
    state: str | None
    created_at: datetime
    due_at: datetime | None
    completed_at: datetime | None


# --- the clock and what it flagged (issue 12) ----------------------------------------


@dataclass(frozen=True)
class ClockStatus(JsonMixin):
    """The SLA clock's lease row, read for the supervisor view and ``sla status``."""

    job: str
    #: Who holds the lease (``host:pid:who``) and until when (the SQLite row's time limit).
    holder: str | None
    holder_until: datetime | None
    last_tick: int
    last_run_at: datetime | None
    last_run_by: str | None
    last_seconds: float | None
    #: The interval the last runner used (the configured one before any run).
    tick_seconds: float
    #: What the last tick recorded, in words ("2 breaches, 1 warning" …).
    summary: str
    #: No tick for more than two intervals (or never run).
    late: bool
    checked_at: datetime
    #: The clock in one plain sentence.
    sentence: str


@dataclass(frozen=True)
class FlaggedCase(JsonMixin):
    """An open case the scan flagged for the supervisor (escalated) or as inactive."""

    label: str
    title: str
    status: str
    priority: str
    queue: str | None
    owner: str | None
    last_activity_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class FlaggedCases(JsonMixin):
    """The newest open escalated and inactive cases; ``*_more``: more than listed."""

    escalated: list[FlaggedCase]
    inactive: list[FlaggedCase]
    escalated_more: bool
    inactive_more: bool


# --- time and the customer at a glance (issue 14) ----------------------------------------


@dataclass(frozen=True)
class TimeEntryView(JsonMixin):
    """One time entry: who, on which case, how long, of what kind (``TimeKind``)."""

    id: int
    at: datetime
    case: str
    agent: str
    agent_name: str
    minutes: int
    kind: str
    note: str | None
    interaction_id: int | None


@dataclass(frozen=True)
class AgentTime(JsonMixin):
    """Minutes one agent logged (on a case and its children, or on a day)."""

    login: str
    name: str
    minutes: int


@dataclass(frozen=True)
class CaseTime(JsonMixin):
    """Time on a case and on its child cases (their children too), by kind and agent."""

    case: str
    own_minutes: int
    children_minutes: int
    total_minutes: int
    by_kind: dict[str, int]
    by_agent: list[AgentTime]
    #: the child cases counted, at any depth
    children: list[str]
    #: the case's own entries, newest first
    entries: list[TimeEntryView]


@dataclass(frozen=True)
class AgentDay(JsonMixin):
    """One agent's time on one calendar day of their own time zone (23 or 25 hours on a
    daylight-saving change)."""

    login: str
    name: str
    day: str
    zone: str
    minutes: int
    by_kind: dict[str, int]
    entries: list[TimeEntryView]


@dataclass(frozen=True)
class CallTimeLogged(JsonMixin):
    """A call saved with its time: the interaction, and the minutes on the line and after
    the call logged on its case (0 when it is on no case or took no time)."""

    interaction: InteractionView
    handle_minutes: int
    after_call_minutes: int
    #: what the minutes did to the case's contract line (``Consumption.to_json()``)
    entitlement: dict[str, Any] | None = None


@dataclass(frozen=True)
class ProductHolding(JsonMixin):
    """A product or service an account holds."""

    code: str
    name: str
    serial: str | None
    since: str | None
    until: str | None


@dataclass(frozen=True)
class CustomerView(JsonMixin):
    """The customer at a glance: the account (or lone contact), what it holds, its
    contracts with what is left of each line, its cases, interactions and satisfaction."""

    account_id: int | None
    account: str | None
    tier: str | None
    contact_id: int | None
    contact: str | None
    contact_email: str | None
    contact_phone: str | None
    contacts: list[str]
    products: list[ProductHolding]
    contracts: list[ContractView]
    open_cases: list[CaseRow]
    past_cases: list[CaseRow]
    interactions: list[InteractionView]
    satisfaction_average: float | None
    satisfaction_last: int | None
    satisfaction_count: int
