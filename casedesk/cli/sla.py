"""``casedesk sla …``: policies, calendars, the scan and a case's clocks in words."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from casedesk.cli import params
from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.localformat import number
from casedesk.plain import cell, plain
from casedesk.services.queries import board
from casedesk.services.queries.views import FlaggedCase
from casedesk.services.sla import explanations, policy_files, scanner
from casedesk.textsafe import one_line

app = typer.Typer(help=_("SLA policies, business calendars, the SLA scan."), no_args_is_help=True)
policy_app = typer.Typer(help=_("SLA policies: list and load."), no_args_is_help=True)
calendar_app = typer.Typer(help=_("Business calendars: list and load."), no_args_is_help=True)
app.add_typer(policy_app, name="policy")
app.add_typer(calendar_app, name="calendar")

FILE = typer.Argument(..., metavar="FILE", help=_("A TOML or YAML file (see data/)."))


def _load(ctx: typer.Context, path: Path, require: str) -> None:
    state: CliState = ctx.obj
    desk = state.desk(create=True)  # a first write may make a new SQLite file's schema
    counts = policy_files.load_file(desk, state.optional_actor(), path, require=require)
    if state.json:
        print_json(counts)
    else:
        say(console, _("loaded {policies} policies and {calendars} calendars from {file}").format(
            policies=counts["policies"], calendars=counts["calendars"], file=path))


@policy_app.command("list", help=_("List SLA policies in the order they are tried."))
def policy_list(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    policies = policy_files.list_policies(state.desk())
    if state.json:
        print_json(policies)
        return
    table = Table(show_lines=True)
    table.add_column(_("policy"), no_wrap=True)
    table.add_column(_("match"))
    table.add_column(_("calendar"), no_wrap=True)
    table.add_column(_("targets (business time)"))
    table.add_column(_("escalation"))
    for p in policies:
        targets = _(
            "first {first} · next {next}\n"
            "resolution {resolution} · inactive {inactive}\n"
            "warn at {percent} % · autoclose {autoclose}"
        ).format(first=p.first_response, next=p.next_response, resolution=p.resolution,
                 inactive=p.inactivity, percent=p.warning_percent, autoclose=p.autoclose)
        table.add_row(
            cell(f"{p.position} {p.name}" + ("" if p.active else " " + _("(inactive)"))),
            plain("\n".join(one_line(f"{k}={v}") for k, v in p.match.items()) or _("any")),
            cell(p.calendar or "24x7"),
            targets,
            plain(
                "\n".join(one_line(k if v is True else f"{k}={v}")
                          for k, v in p.escalation.items()) or "—"
            ),
        )
    console.print(table)


@policy_app.command(
    "load", help=_("Load (upsert by name) the policies of a file, and any calendars in it."),
)
def policy_load(ctx: typer.Context, path: Path = FILE) -> None:
    _load(ctx, path, "policy")


@calendar_app.command("list", help=_("List business calendars."))
def calendar_list(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    calendars = policy_files.list_calendars(state.desk())
    if state.json:
        print_json(calendars)
        return
    table = Table()
    for col in (N_("calendar"), N_("time zone"), N_("hours"), N_("holidays")):
        table.add_column(_(col))
    for c in calendars:
        hours = "; ".join(
            f"{day} " + ", ".join(f"{a}-{b}" for a, b in ivs) for day, ivs in c.hours.items()
        )
        holidays = (
            [f"{c.country}{'-' + c.subdivision if c.subdivision else ''}"] if c.country else []
        )
        holidays += [_("{day} yearly").format(day=f"{m:02d}-{d:02d}") for m, d in c.recurring]
        holidays += c.holidays
        table.add_row(cell(c.name), cell(c.timezone), cell(hours), cell(", ".join(holidays) or "—"))
    console.print(table)


@calendar_app.command(
    "load", help=_("Load (upsert by name) the calendars of a file, and any policies in it."),
)
def calendar_load(ctx: typer.Context, path: Path = FILE) -> None:
    _load(ctx, path, "calendar")


@app.command(
    "scan",
    help=_("Record warnings and breaches, escalate, flag inactivity, auto-close: once, now."),
)
def scan(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help=_("Print the counts as JSON.")),
) -> None:
    state: CliState = ctx.obj
    report = scanner.scan(state.desk())
    if json_ or state.json:
        data = report.to_json() | {"counts": report.counts(), "total": report.total}
        print_json(data)
        return
    done = {k: v for k, v in report.counts().items() if v}
    if not done:
        console.print(_("sla scan: nothing to record ({ms} ms)").format(
            ms=f"{report.seconds * 1e3:.0f}"), markup=False)
        return
    console.print(_("sla scan: {counts} ({seconds} s)").format(
        counts=", ".join(f"{_scan_word(k)} {v}" for k, v in done.items()),
        seconds=number(report.seconds, 2)), markup=False)


#: what the scan recorded, by its count's key
_SCAN_WORDS = {
    "first_response_warning": N_("first response warning"),
    "first_response_breach": N_("first response breach"),
    "next_response_warning": N_("next response warning"),
    "next_response_breach": N_("next response breach"),
    "resolution_warning": N_("resolution warning"),
    "resolution_breach": N_("resolution breach"),
    "task_warning": N_("task warning"),
    "task_breach": N_("task breach"),
    "inactive": N_("inactive"),
    "inactive_task": N_("inactive task"),
    "escalated": N_("escalated"),
    "autoclosed": N_("autoclosed"),
    "assigned": N_("assigned"),
}


def _scan_word(key: str) -> str:
    words = _SCAN_WORDS.get(key)
    return _(words) if words else key.replace("_", " ")


@app.command(
    "status",
    help=_("When the SLA clock last ran and by whom; the open escalated and inactive cases."),
)
def status(
    ctx: typer.Context,
    json_: bool = typer.Option(False, "--json", help=_("Print the clock and the lists as JSON.")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    clock = board.clock_status(desk, tick_seconds=state.settings.sla_tick_seconds)
    flagged = board.flagged_cases(desk)
    if json_ or state.json:
        print_json({"clock": clock.to_json(), "flagged": flagged.to_json()})
        return
    say(console, clock.sentence)
    for title, rows, more in (
        (_("Escalated to the supervisor"), flagged.escalated, flagged.escalated_more),
        (_("Inactive"), flagged.inactive, flagged.inactive_more),
    ):
        if not rows:
            say(console, _("{title}: none.").format(title=title))
            continue
        if more:
            shown = _("the newest {count} open cases").format(count=len(rows))
        else:
            shown = ngettext("{count} open case", "{count} open cases", len(rows)).format(
                count=len(rows))
        say(console, f"{title}: {shown}.")
        for row in rows:
            say(console, "  ", _flagged_line(row))


def _flagged_line(row: FlaggedCase) -> str:
    where = (_("in {agent}'s bin").format(agent=row.owner) if row.owner
             else _("in queue {queue}").format(queue=row.queue or "—"))
    return one_line(f"{row.label} · {label('priority', row.priority)} · "
                    f"{label('status', row.status)} · {where} · {row.title}")


@app.command(
    "explain", help=_("Say where each SLA clock of a case stands, with business time left."),
)
def explain(
    ctx: typer.Context,
    number: str = typer.Argument(
        ..., metavar="CASE", help=_("Case number, e.g. CS-000123."), parser=params.case_number
    ),
) -> None:
    state: CliState = ctx.obj
    result = explanations.explain(state.desk(), number)
    if state.json:
        print_json(result)
        return
    say(
        console,
        _("{case} · {status} · policy {policy} · calendar {calendar} ({zone})").format(
            case=result.case, status=label("status", result.status),
            policy=result.policy or "—", calendar=result.calendar or "24x7",
            zone=result.timezone),
    )
    for line in result.clocks:
        say(console, "  ", line.text)
    say(console, result.sentence)
