"""The reports' read models: the filter a report runs with, its typed rows, and the one
table shape every report is also shown as (CLI table, CSV, JSON, the report screen).

A column's :attr:`~Column.heading` is in the reader's language (its English ``text`` is
marked for the catalogue); its ``key`` is what CSV and JSON write, the same in every
language. A text column of codes names its ``labels`` vocabulary, so that people read
"first response" / "primera respuesta" where CSV and JSON keep ``first_response``
(:func:`casedesk.services.reports.export.shown_rows`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from casedesk.i18n import N_, _

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

#: A table cell: text, a whole number, a fraction, a date, or nothing (unknown).
Cell = str | int | float | date | None

#: The rows standing for cases of no queue and for all queues together.
NO_QUEUE = N_("(no queue)")
ALL_QUEUES = N_("(all queues)")
#: The text cells that are the desk's words, not data (English in the rows, CSV and
#: JSON; shown in the reader's language): no queue, all queues, no resolution type.
MARKERS = (NO_QUEUE, ALL_QUEUES, N_("(not recorded)"))


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers: the calendar days ``start`` to ``end`` (both included) in the
    desk's time zone ``zone``, and optionally one queue, one agent (login) or one team."""

    start: date
    end: date
    zone: str = "UTC"
    queue: str | None = None
    agent: str | None = None
    team: str | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Column:
    """A column of a report table. ``kind``: text, count, seconds, minutes, average,
    percent (0–100), date. ``text``: the English heading (marked ``N_``); ``labels``: the
    vocabulary of a text column's codes (:mod:`casedesk.labels`' or
    :data:`casedesk.services.reports.export.WORDS`'), None for names and free text."""

    key: str
    text: str
    kind: str = "count"
    labels: str | None = None

    @property
    def heading(self) -> str:
        """The heading in the reader's language."""
        return _(self.text)


@dataclass(frozen=True)
class ReportTable:
    """A report as rows of plain cells, with what it covered."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    start: date | None = None
    end: date | None = None
    zone: str = "UTC"
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        keys = [c.key for c in self.columns]
        return {
            "report": self.name,
            "title": self.title,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "zone": self.zone,
            "note": self.note,
            "rows": [
                {k: (v.isoformat() if isinstance(v, date) else v)
                 for k, v in zip(keys, row, strict=True)}
                for row in self.rows
            ],
        }

    def column(self, key: str) -> list[Cell]:
        """Every row's value in column ``key``."""
        index = [c.key for c in self.columns].index(key)
        return [row[index] for row in self.rows]


def table_rows(rows: list[Any], columns: tuple[Column, ...]) -> tuple[tuple[Cell, ...], ...]:
    """The cells of typed rows (frozen dataclasses) in the order of ``columns``."""
    out = []
    for row in rows:
        values = {f.name: getattr(row, f.name) for f in fields(cast("DataclassInstance", row))}
        out.append(tuple(values[c.key] for c in columns))
    return tuple(out)


# --- the typed rows, one kind per family -----------------------------------------------


@dataclass(frozen=True)
class DayVolume:
    """Cases opened, resolved and closed on one day of the desk's calendar."""

    day: date
    opened: int
    resolved: int
    closed: int


@dataclass(frozen=True)
class BacklogRow:
    """Open cases of one queue by age (days since they were opened)."""

    queue: str
    under_1d: int
    d1_3: int
    d3_7: int
    d7_30: int
    over_30d: int
    total: int


@dataclass(frozen=True)
class SlaRow:
    """How one SLA policy's deadlines of one kind went for the cases opened in the period."""

    policy: str
    kind: str
    met: int
    breached: int
    pending: int
    #: met / (met + breached) as a percentage; None when none finished
    compliance: float | None


@dataclass(frozen=True)
class DurationRow:
    """Median and 90th percentile of a length of time, in seconds."""

    measure: str
    cases: int
    median_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True)
class AgentRow:
    """An agent's output in the period."""

    agent: str
    name: str
    handled: int
    resolved: int
    minutes_logged: int
    calls: int
    #: average handle time of their calls (time on the line + after-call work), seconds
    average_handle_seconds: float | None


@dataclass(frozen=True)
class CallRow:
    """Interactions of one channel and typification: how many and how long."""

    channel: str
    typification: str
    count: int
    average_seconds: float | None
    average_wrap_seconds: float | None


@dataclass(frozen=True)
class ResolutionRow:
    """Cases resolved in the period with one resolution type."""

    resolution_type: str
    cases: int
    share: float


@dataclass(frozen=True)
class CauseRow:
    """A category (area) or product behind cases, against the previous period of equal
    length."""

    dimension: str
    value: str
    cases: int
    previous: int
    change: int
    #: change as a percentage of ``previous``; None when nothing was before
    change_percent: float | None


@dataclass(frozen=True)
class EntitlementRow:
    """One contract line: what it grants, what was used and what is left."""

    contract: str
    account: str
    line: str
    allotment: str
    total: int
    used: int
    left: int


@dataclass(frozen=True)
class SatisfactionRow:
    """The customers' ratings (1–5) of the cases resolved in the period, per queue."""

    queue: str
    rated: int
    average: float | None


@dataclass(frozen=True)
class NowQueue:
    """One queue right now."""

    queue: str
    waiting: int
    breached: int
    breaching_next_hour: int
    available: int


@dataclass(frozen=True)
class NowBoard:
    """The floor right now: queues, agents by presence, breaches due in the next hour."""

    at: datetime
    queues: tuple[NowQueue, ...]
    presence: tuple[tuple[str, int], ...]
    breaching_next_hour: int
    waiting: int = field(default=0)
