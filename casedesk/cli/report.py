"""``casedesk report NAME``: a report over a period, as a table, CSV or JSON;
``casedesk report list``: the reports there are."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any

import typer
from rich.table import Table

from casedesk.cli import params
from casedesk.cli.format import day as show_day
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import _
from casedesk.plain import cell
from casedesk.services import reports
from casedesk.services.queries import board
from casedesk.services.reports.export import shown_rows, write_csv
from casedesk.services.reports.scope import MAX_DAYS, midnight, zone_of
from casedesk.services.reports.views import ReportFilter, ReportTable

FORMATS = ("table", "csv", "json")
#: The period when neither --from nor --to is given: the last 30 days up to today.
DEFAULT_DAYS = 30


def _day(flag: str) -> Any:
    def parse(value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            day = date.fromisoformat(text)
            if len(text) != 10 or day.year < 1970:
                raise ValueError(text)
        except ValueError:
            raise typer.BadParameter(
                _("{flag} {value} is not a day like 2026-03-29 (from 1970 on)").format(
                    flag=flag, value=repr(text))
            ) from None
        return day

    return parse


def _list() -> None:
    rows = [(r.name, r.summary) for r in reports.REPORTS.values()]
    rows.append((reports.NOW, _(reports.NOW_SUMMARY)))
    table = Table(show_header=True)
    table.add_column(_("report"), no_wrap=True)
    table.add_column(_("what it shows"))
    for name, summary in rows:
        table.add_row(cell(name), cell(summary))
    console.print(table)


def _table(report: ReportTable) -> Table:
    period = (
        " — " + _("{start} to {end} ({zone})").format(
            start=show_day(report.start), end=show_day(report.end), zone=report.zone)
        if report.start and report.end else ""
    )
    table = Table(title=cell(report.title + period))
    for c in report.columns:
        text = c.kind in ("text", "date")
        table.add_column(cell(c.heading), justify="left" if text else "right",
                         no_wrap=c.kind == "date", overflow="fold",
                         min_width=10 if c.kind == "date" else None)
    for row in shown_rows(report):
        table.add_row(*[cell(v) for v in row])
    return table


HELP = _(
    "A report over a period: volume, backlog, SLA, times, agents, calls, "
    "resolutions, causes, entitlements, satisfaction, or the floor now."
)


def report_command(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., metavar="NAME",
        help=_("The report: {names}; or `list` to see what each shows.").format(
            names=", ".join(reports.report_names())),
        parser=params.choice("NAME", ["list", *reports.report_names()]),
    ),
    start: date | None = typer.Option(
        None, "--from", metavar="DAY", parser=_day("--from"),
        help=_("First day (YYYY-MM-DD, the desk's calendar; default: {days} days before "
               "--to).").format(days=DEFAULT_DAYS - 1),
    ),
    end: date | None = typer.Option(
        None, "--to", metavar="DAY", help=_("Last day, included (default: today)."),
        parser=_day("--to"),
    ),
    queue: str | None = typer.Option(None, "--queue", metavar="NAME", help=_("Only this queue.")),
    agent: str | None = typer.Option(None, "--agent", metavar="LOGIN", help=_("Only this agent.")),
    team: str | None = typer.Option(None, "--team", metavar="NAME", help=_("Only this team.")),
    fmt: str = typer.Option(
        "table", "--format", "-f", help=_("table (for people), csv (for spreadsheets: text "
        "that would run as a formula gets a leading ') or json."),
        parser=params.choice("--format", FORMATS),
    ),
    tz: str | None = typer.Option(
        None, "--tz", metavar="ZONE", help=_("The time zone whose calendar days the report "
        "counts (default: the acting agent's, e.g. Europe/Madrid)."), parser=params.time_zone,
    ),
) -> None:
    if name == "list":
        _list()
        return
    state: CliState = ctx.obj
    desk = state.desk()
    actor = state.actor()
    zone_name = tz or board.agent_timezone(desk, actor.id)
    zone = zone_of(zone_name)
    today = desk.now().astimezone(zone).date()
    if end is None:
        end = today if start is None else min(today, start + timedelta(days=DEFAULT_DAYS - 1))
        end = max(end, start) if start is not None else end
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise typer.BadParameter(
            _("--to {end} is before --from {start}").format(end=end.isoformat(),
                                                             start=start.isoformat())
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise typer.BadParameter(_("a report covers at most {days} days").format(
            days=f"{MAX_DAYS:,}"))
    midnight(end, zone)  # a day the zone can name
    result = reports.run(desk, actor, name, ReportFilter(start, end, zone_name, queue, agent, team))
    if fmt == "json" or state.json:
        print_json(result)
    elif fmt == "csv":
        write_csv(result, sys.stdout)
    else:
        console.print(_table(result))
        if result.note:
            console.print(cell(result.note))
