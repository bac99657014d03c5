"""The report screen: pick a report and a period, read it as a table and a chart, save it
as CSV. The live board (``now``) refreshes itself.

Every report comes from :func:`casedesk.services.reports.run` in a worker, as a
:class:`~casedesk.services.reports.views.ReportTable`; every cell is drawn through
:func:`casedesk.plain.cell` (queue, agent and product names are outside text), and chart
labels are made visible first (plotext draws ANSI text).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Select, Static
from textual_plotext import PlotextPlot

from casedesk.i18n import N_, _, ngettext
from casedesk.localformat import day, number, short_day
from casedesk.plain import cell
from casedesk.screens.base import DeskScreen
from casedesk.screens.modals import TextPrompt
from casedesk.screens.report_words import CHARTS, PERIODS
from casedesk.services import reports
from casedesk.services.reports.export import default_csv_path, save_csv, shown_rows
from casedesk.services.reports.views import Cell, ReportFilter, ReportTable
from casedesk.textsafe import visible
from casedesk.widgets.footer import DeskFooter

#: Seconds between two reads of the live board while it is shown.
NOW_REFRESH = 15


def _label(value: object) -> str:
    """An outside name as a chart label: controls visible, one line, short."""
    text = visible(str(value), single_line=True)
    return text if len(text) <= 14 else text[:13] + "…"


def _numbers(values: list[Cell]) -> list[float]:
    """A column's figures for a chart (unknown: 0)."""
    return [float(v) if isinstance(v, int | float) else 0.0 for v in values]


class ReportsScreen(DeskScreen):
    """Reports with charts for supervisors."""

    LABEL = N_("Reports")
    DEFAULT_CSS = """
    ReportsScreen #rep-controls { height: 3; }
    ReportsScreen #rep-name { width: 1fr; }
    ReportsScreen #rep-period { width: 24; }
    ReportsScreen #rep-chart { height: 1fr; min-height: 6; }
    ReportsScreen #rep-table { height: 1fr; }
    ReportsScreen #rep-note { height: 1; padding: 0 1; color: $text-muted; }
    ReportsScreen #rep-title { height: 1; padding: 0 1; text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "export", "Save CSV", id="rep-export"),
        Binding("n", "now_board", "Now", id="rep-now"),
        Binding("r", "reload", "Reload", id="rep-reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: ReportTable | None = None
        self.name_key = "volume"
        self.period_key = "30d"
        #: When the live board shown was read (the desk's clock), None while reading.
        self._board_at: datetime | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="rep-controls"):
            yield Select(
                [(kind.title, name) for name, kind in reports.REPORTS.items()]
                + [(_("The floor now (refreshes itself)"), reports.NOW)],
                value=self.name_key, allow_blank=False, id="rep-name",
            )
            yield Select(
                [(_(PERIODS[key]) if key in PERIODS else label, key)
                 for key, label, _s, _e in reports.periods(date(2000, 1, 1))],
                value=self.period_key, allow_blank=False, id="rep-period",
            )
        yield Static("", id="rep-title")
        yield PlotextPlot(id="rep-chart")
        yield DataTable(id="rep-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="rep-note")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#rep-table", DataTable).focus()

    # --- loading ------------------------------------------------------------------------

    def _filter(self) -> ReportFilter:
        today = self.now().astimezone(self.tz()).date()
        for key, _label_text, start, end in reports.periods(today):
            if key == self.period_key:
                return ReportFilter(start, end, self.tz().key)
        return ReportFilter(today, today, self.tz().key)

    def refresh_data(self) -> None:
        self.load(
            "rep-run",
            partial(reports.run, self.desk, self.actor, self.name_key, self._filter()),
            then=self._show,
            busy=self.query_one("#rep-table", DataTable) if self.report is None else None,
        )

    def tick(self) -> None:
        """Every second (the app's timer): the live board reads again once
        :data:`NOW_REFRESH` seconds of the desk's clock have passed since it last did."""
        shown_at = self._board_at
        if self.name_key != reports.NOW or shown_at is None:
            return
        if self.now() - shown_at >= timedelta(seconds=NOW_REFRESH):
            self._board_at = None  # one read at a time
            self.refresh_data()

    @on(Select.Changed, "#rep-name")
    def _report_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.name_key:
            self.name_key = event.value
            self.refresh_data()

    @on(Select.Changed, "#rep-period")
    def _period_picked(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.period_key:
            self.period_key = event.value
            self.refresh_data()

    def action_reload(self) -> None:
        self.refresh_data()

    def action_now_board(self) -> None:
        self.query_one("#rep-name", Select).value = reports.NOW

    def action_export(self) -> None:
        report = self.report
        if report is None:
            self.notify(_("Nothing is shown yet to save."), severity="warning")
            return
        self.write_from(
            TextPrompt(_("Save “{title}” as CSV to").format(title=report.title),
                       value=str(default_csv_path(report))),
            lambda path: save_csv(report, Path(path)),
            done=lambda saved: _("Saved the report to {path}.").format(path=saved),
        )

    # --- drawing ------------------------------------------------------------------------

    def _show(self, report: ReportTable) -> None:
        self.report = report
        self._board_at = self.now() if report.name == reports.NOW else None
        period = (_(" — {start} to {end}").format(start=day(report.start), end=day(report.end))
                  if report.start and report.end else
                  _(" — at {time}").format(
                      time=self.now().astimezone(self.tz()).strftime("%H:%M")))
        self.query_one("#rep-title", Static).update(cell(report.title + period))
        table = self.query_one("#rep-table", DataTable)
        table.clear(columns=True)
        for c in report.columns:
            table.add_column(cell(c.heading), key=c.key)
        for i, row in enumerate(shown_rows(report)):
            table.add_row(*[cell(v) for v in row], key=str(i))
        if not report.rows:
            note = _("Nothing to report for this period.")
        else:
            note = report.note or ngettext(
                "{n} row. Press e to save it as CSV.", "{n} rows. Press e to save them as CSV.",
                len(report.rows)).format(n=number(len(report.rows)))
        self.query_one("#rep-note", Static).update(cell(note))
        self._chart(report)

    def _chart(self, report: ReportTable) -> None:
        chart = self.query_one("#rep-chart", PlotextPlot)
        title = CHARTS.get(report.name)
        chart.display = title is not None and bool(report.rows)
        if not chart.display:
            return
        plt = chart.plt
        plt.clear_figure()
        plt.title(_(title) if title else "")
        if report.name == "volume":
            xs = [float(i) for i in range(len(report.rows))]
            for key, label in (("opened", _("opened")), ("resolved", _("resolved")),
                               ("closed", _("closed"))):
                plt.plot(xs, _numbers(report.column(key)), label=label,
                         marker="braille")
            days = report.column("day")
            step = max(1, len(days) // 6)
            plt.xticks(xs[::step], [short_day(d) if isinstance(d, date) else ""
                                    for d in days[::step]])
        elif report.name == "sla":
            labels = [f"{_label(p)} {str(k).split('_')[0]}" for p, k in
                      zip(report.column("policy"), report.column("kind"), strict=True)]
            plt.bar(labels, _numbers(report.column("compliance")))
            plt.ylim(0, 100)
        elif report.name == "backlog":
            buckets = [c for c in report.columns if c.key not in ("queue", "total")]
            plt.bar([c.heading for c in buckets],
                    [sum(_numbers(report.column(c.key))) for c in buckets])
        else:
            plt.bar([_label(q) for q in report.column("queue")],
                    _numbers(report.column("waiting")))
        chart.refresh()
