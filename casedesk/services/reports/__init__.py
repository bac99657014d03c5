"""Reports as services: each family in its own module, aggregated in SQL, returned as
frozen read models (:mod:`casedesk.services.reports.views`).

Titles, summaries and headings are written in English, marked for the catalogue, and read
in the reader's language when shown (:attr:`ReportKind.title`, :attr:`Column.heading`;
:func:`run` puts the translated title in its table). Report names, column keys and the
cells' codes stay as they are in every language: CSV and JSON are for machines.

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
from casedesk.i18n import N_, _
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
    """A report the desk offers: its name, title, what it says, columns and reader. The
    title and summary are kept in English (marked ``N_``) and read in the reader's
    language through :attr:`title` and :attr:`summary`."""

    name: str
    title_text: str
    summary_text: str
    columns: tuple[Column, ...]
    read: Callable[[Session, Scope, Desk], list[Any]]

    @property
    def title(self) -> str:
        return _(self.title_text)

    @property
    def summary(self) -> str:
        return _(self.summary_text)


def _c(key: str, heading: str, kind: str = "count", labels: str | None = None) -> Column:
    return Column(key, heading, kind, labels)


REPORTS: dict[str, ReportKind] = {r.name: r for r in (
    ReportKind(
        "volume", N_("Cases opened, resolved and closed per day"),
        N_("Cases opened, resolved and closed on each day of the period."),
        (_c("day", N_("Day"), "date"), _c("opened", N_("Opened")),
         _c("resolved", N_("Resolved")), _c("closed", N_("Closed"))),
        lambda s, sc, d: volume.per_day(s, sc),
    ),
    ReportKind(
        "backlog", N_("Backlog by queue and age"),
        N_("Cases open now in each queue, by how many days ago they were opened."),
        (_c("queue", N_("Queue"), "text"), _c("under_1d", N_("Under 1 day")),
         _c("d1_3", N_("1–3 days")), _c("d3_7", N_("3–7 days")), _c("d7_30", N_("7–30 days")),
         _c("over_30d", N_("Over 30 days")), _c("total", N_("Total"))),
        lambda s, sc, d: backlog.by_queue(s, sc, d.now()),
    ),
    ReportKind(
        "sla", N_("SLA compliance per policy and deadline"),
        N_("Deadlines met, breached and pending of the cases opened in the period."),
        (_c("policy", N_("Policy"), "text"), _c("kind", N_("Deadline"), "text", "deadline"),
         _c("met", N_("Met")), _c("breached", N_("Breached")), _c("pending", N_("Pending")),
         _c("compliance", N_("Compliance %"), "percent")),
        lambda s, sc, d: sla.compliance(s, sc, d.now()),
    ),
    ReportKind(
        "times", N_("First response and resolution time"),
        N_("Median and 90th percentile of the time to the first response and to resolution."),
        (_c("measure", N_("Measure"), "text", "deadline"), _c("cases", N_("Cases")),
         _c("median_seconds", N_("Median"), "seconds"),
         _c("p90_seconds", N_("90th percentile"), "seconds")),
        lambda s, sc, d: times.durations(s, sc),
    ),
    ReportKind(
        "agents", N_("Agent productivity"),
        N_("Contacts handled, cases resolved, time logged and average handle time per agent."),
        (_c("agent", N_("Agent"), "text"), _c("name", N_("Name"), "text"),
         _c("handled", N_("Handled")), _c("resolved", N_("Resolved")),
         _c("minutes_logged", N_("Minutes logged")), _c("calls", N_("Calls")),
         _c("average_handle_seconds", N_("Average handle time"), "seconds")),
        lambda s, sc, d: agents.productivity(s, sc),
    ),
    ReportKind(
        "calls", N_("Call volume and duration by channel and type"),
        N_("Interactions per channel and typification, with their average length."),
        (_c("channel", N_("Channel"), "text", "channel"),
         _c("typification", N_("Type"), "text", "typification"),
         _c("count", N_("Interactions")), _c("average_seconds", N_("Average time"), "seconds"),
         _c("average_wrap_seconds", N_("Average after-call work"), "seconds")),
        lambda s, sc, d: calls.volume(s, sc),
    ),
    ReportKind(
        "resolutions", N_("Resolution types"),
        N_("How the cases resolved in the period were resolved."),
        (_c("resolution_type", N_("Resolution type"), "text"), _c("cases", N_("Cases")),
         _c("share", N_("Share %"), "percent")),
        lambda s, sc, d: outcomes.resolution_types(s, sc),
    ),
    ReportKind(
        "causes", N_("Top categories and products"),
        N_("The categories and products behind the period's cases, against the period before."),
        (_c("dimension", N_("By"), "text", "dimension"),
         _c("value", N_("Category or product"), "text", "cause"),
         _c("cases", N_("Cases")), _c("previous", N_("Previous period")),
         _c("change", N_("Change")), _c("change_percent", N_("Change %"), "percent")),
        lambda s, sc, d: causes.top_causes(s, sc),
    ),
    ReportKind(
        "entitlements", N_("Entitlement consumption per contract"),
        N_("What each contract line grants, what was used and what is left."),
        (_c("contract", N_("Contract"), "text"), _c("account", N_("Account"), "text"),
         _c("line", N_("Line"), "text"), _c("allotment", N_("Counts"), "text", "allotment"),
         _c("total", N_("Total")), _c("used", N_("Used")), _c("left", N_("Left"))),
        lambda s, sc, d: entitlements.consumption(s, sc),
    ),
    ReportKind(
        "satisfaction", N_("Customer satisfaction"),
        N_("The average rating (1 to 5) of the cases resolved in the period, where known."),
        (_c("queue", N_("Queue"), "text"), _c("rated", N_("Rated cases")),
         _c("average", N_("Average rating"), "average")),
        lambda s, sc, d: outcomes.satisfaction(s, sc),
    ),
)}

#: The live board is a report too (its own shape: :func:`now.now_board`).
NOW = "now"
NOW_TITLE = N_("The floor now")
#: What ``report list`` says of the live board (read it through ``_()``).
NOW_SUMMARY = N_("The floor now: waiting, breaches within the hour, agents.")
NOW_COLUMNS = (
    _c("queue", N_("Queue"), "text"), _c("waiting", N_("Waiting")),
    _c("breached", N_("Breached")),
    _c("breaching_next_hour", N_("Breaching within the hour")),
    _c("available", N_("Agents available")),
)


def periods(today: date) -> list[tuple[str, str, date, date]]:
    """The periods the report screen offers: (key, label in the reader's language, first
    day, last day)."""
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    return [
        ("today", _("Today"), today, today),
        ("7d", _("Last 7 days"), today - timedelta(days=6), today),
        ("30d", _("Last 30 days"), today - timedelta(days=29), today),
        ("month", _("This month"), month_start, today),
        ("last-month", _("Last month"), last_month_end.replace(day=1), last_month_end),
        ("year", _("Last 365 days"), today - timedelta(days=364), today),
    ]


def report_names() -> list[str]:
    """Every report's name, ``now`` last."""
    return [*REPORTS, NOW]


def kind(name: str) -> ReportKind:
    found = REPORTS.get(name)
    if found is None:
        raise NotFound(_("no report {name}: see `casedesk report list`").format(name=repr(name)))
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
            NOW, _(NOW_TITLE), NOW_COLUMNS,
            table_rows(list(board.queues), NOW_COLUMNS), zone=flt.zone,
            note=now.board_sentence(board),
        )
    report = kind(name)
    rows = read(desk, actor, name, flt)
    return ReportTable(name, report.title, report.columns, table_rows(rows, report.columns),
                       flt.start, flt.end, flt.zone)
