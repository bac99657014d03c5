"""Reports as services: each family in its own module, aggregated in SQL, returned as
frozen read models (:mod:`casedesk.services.reports.views`).

:func:`run` runs a report by name and gives it as a :class:`ReportTable` (what the CLI
prints and the report screen shows); the typed functions are in the family modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from casedesk.db import read_session
from casedesk.errors import NotFound
from casedesk.services.context import Actor, Desk
from casedesk.services.reports import (
    agents,
    backlog,
    calls,
    causes,
    entitlements,
    now,
    outcomes,
    sla,
    times,
    volume,
)
from casedesk.services.reports.scope import Scope, resolve
from casedesk.services.reports.views import Column, ReportFilter, ReportTable, table_rows


@dataclass(frozen=True)
class ReportKind:
    """A report the desk offers: its name, title, what it says, columns and reader."""

    name: str
    title: str
    summary: str
    columns: tuple[Column, ...]
    read: Callable[[Session, Scope, Desk], list[Any]]


def _c(key: str, heading: str, kind: str = "count") -> Column:
    return Column(key, heading, kind)


REPORTS: dict[str, ReportKind] = {r.name: r for r in (
    ReportKind(
        "volume", "Cases opened, resolved and closed per day",
        "Cases opened, resolved and closed on each day of the period.",
        (_c("day", "Day", "date"), _c("opened", "Opened"), _c("resolved", "Resolved"),
         _c("closed", "Closed")),
        lambda s, sc, d: volume.per_day(s, sc),
    ),
    ReportKind(
        "backlog", "Backlog by queue and age",
        "Cases open now in each queue, by how many days ago they were opened.",
        (_c("queue", "Queue", "text"), _c("under_1d", "Under 1 day"), _c("d1_3", "1–3 days"),
         _c("d3_7", "3–7 days"), _c("d7_30", "7–30 days"), _c("over_30d", "Over 30 days"),
         _c("total", "Total")),
        lambda s, sc, d: backlog.by_queue(s, sc, d.now()),
    ),
    ReportKind(
        "sla", "SLA compliance per policy and deadline",
        "Deadlines met, breached and pending of the cases opened in the period.",
        (_c("policy", "Policy", "text"), _c("kind", "Deadline", "text"), _c("met", "Met"),
         _c("breached", "Breached"), _c("pending", "Pending"),
         _c("compliance", "Compliance %", "percent")),
        lambda s, sc, d: sla.compliance(s, sc, d.now()),
    ),
    ReportKind(
        "times", "First response and resolution time",
        "Median and 90th percentile of the time to the first response and to resolution.",
        (_c("measure", "Measure", "text"), _c("cases", "Cases"),
         _c("median_seconds", "Median", "seconds"),
         _c("p90_seconds", "90th percentile", "seconds")),
        lambda s, sc, d: times.durations(s, sc),
    ),
    ReportKind(
        "agents", "Agent productivity",
        "Contacts handled, cases resolved, time logged and average handle time per agent.",
        (_c("agent", "Agent", "text"), _c("name", "Name", "text"), _c("handled", "Handled"),
         _c("resolved", "Resolved"), _c("minutes_logged", "Minutes logged"),
         _c("calls", "Calls"), _c("average_handle_seconds", "Average handle time", "seconds")),
        lambda s, sc, d: agents.productivity(s, sc),
    ),
    ReportKind(
        "calls", "Call volume and duration by channel and type",
        "Interactions per channel and typification, with their average length.",
        (_c("channel", "Channel", "text"), _c("typification", "Type", "text"),
         _c("count", "Interactions"), _c("average_seconds", "Average time", "seconds"),
         _c("average_wrap_seconds", "Average after-call work", "seconds")),
        lambda s, sc, d: calls.volume(s, sc),
    ),
    ReportKind(
        "resolutions", "Resolution types",
        "How the cases resolved in the period were resolved.",
        (_c("resolution_type", "Resolution type", "text"), _c("cases", "Cases"),
         _c("share", "Share %", "percent")),
        lambda s, sc, d: outcomes.resolution_types(s, sc),
    ),
    ReportKind(
        "causes", "Top categories and products",
        "The categories and products behind the period's cases, against the period before.",
        (_c("dimension", "By", "text"), _c("value", "Category or product", "text"),
         _c("cases", "Cases"), _c("previous", "Previous period"), _c("change", "Change"),
         _c("change_percent", "Change %", "percent")),
        lambda s, sc, d: causes.top_causes(s, sc),
    ),
    ReportKind(
        "entitlements", "Entitlement consumption per contract",
        "What each contract line grants, what was used and what is left.",
        (_c("contract", "Contract", "text"), _c("account", "Account", "text"),
         _c("line", "Line", "text"), _c("allotment", "Counts", "text"), _c("total", "Total"),
         _c("used", "Used"), _c("left", "Left")),
        lambda s, sc, d: entitlements.consumption(s, sc),
    ),
    ReportKind(
        "satisfaction", "Customer satisfaction",
        "The average rating (1 to 5) of the cases resolved in the period, where known.",
        (_c("queue", "Queue", "text"), _c("rated", "Rated cases"),
         _c("average", "Average rating", "average")),
        lambda s, sc, d: outcomes.satisfaction(s, sc),
    ),
)}

#: The live board is a report too (its own shape: :func:`now.now_board`).
NOW = "now"
NOW_COLUMNS = (
    _c("queue", "Queue", "text"), _c("waiting", "Waiting"), _c("breached", "Breached"),
    _c("breaching_next_hour", "Breaching within the hour"), _c("available", "Agents available"),
)


def periods(today: date) -> list[tuple[str, str, date, date]]:
    """The periods the report screen offers: (key, label, first day, last day)."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [
        ("today", "Today", today, today),
        ("7d", "Last 7 days", today - timedelta(days=6), today),
        ("30d", "Last 30 days", today - timedelta(days=29), today),
        ("month", "This month", month_start, today),
        ("last-month", "Last month", last_month_end.replace(day=1), last_month_end),
        ("year", "Last 365 days", today - timedelta(days=364), today),
    ]


def report_names() -> list[str]:
    """Every report's name, ``now`` last."""
    return [*REPORTS, NOW]


def kind(name: str) -> ReportKind:
    found = REPORTS.get(name)
    if found is None:
        raise NotFound(f"no report {name!r}: see `casedesk report list`")
    return found


def read(desk: Desk, actor: Actor, name: str, flt: ReportFilter) -> list[Any]:
    """The typed rows of report ``name`` over ``flt``."""
    report = kind(name)
    with read_session(desk.engine) as session:
        scope = resolve(session, actor, flt)
        return report.read(session, scope, desk)


def run(desk: Desk, actor: Actor, name: str, flt: ReportFilter) -> ReportTable:
    """Report ``name`` over ``flt`` as a table (``now``: the live board's queues)."""
    if name == NOW:
        board = now.now_board(desk, actor)
        return ReportTable(
            NOW, "The floor now", NOW_COLUMNS,
            table_rows(list(board.queues), NOW_COLUMNS), zone=flt.zone,
            note=now.board_sentence(board),
        )
    report = kind(name)
    rows = read(desk, actor, name, flt)
    return ReportTable(name, report.title, report.columns, table_rows(rows, report.columns),
                       flt.start, flt.end, flt.zone)
