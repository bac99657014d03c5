"""``casedesk demo``: fill a database with the seed people and cases plus generated ones."""

from __future__ import annotations

import time

import typer

from casedesk.cli import params
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import _
from casedesk.localformat import number

HELP = _(
    "Fill the database with the seed documents' people and cases plus generated "
    "ones.\n"
    "\n"
    "A SQLite file that does not exist yet (or has no schema) is created at this "
    "program's schema first; a PostgreSQL database must have been upgraded by its "
    "admin (`casedesk db upgrade`)."
)


def demo(
    ctx: typer.Context,
    cases: int = typer.Option(
        200, "--cases", help=_("Generated cases besides the seeds (0 to 10,000,000)."),
        parser=params.integer("--cases", 0, 10_000_000),
    ),
    if_empty: bool = typer.Option(False, "--if-empty", help=_("Do nothing if agents exist.")),
    seed: int = typer.Option(
        7, "--seed", help=_("Random seed for generated data."),
        parser=params.integer("--seed", 0, 2**63 - 1),
    ),
) -> None:
    from casedesk.services import demo as demo_service

    state: CliState = ctx.obj
    desk = state.desk(create=True)
    if if_empty and not demo_service.is_empty(desk):
        return
    started = time.perf_counter()
    report = demo_service.seed(desk, cases=cases, seed=seed)
    elapsed = time.perf_counter() - started
    if state.json:
        print_json({**report, "seconds": round(elapsed, 2)})
        return
    console.print(_(
        "demo data: {agents} agents, {queues} queues, {contacts} contacts, {cases} cases in "
        "{seconds} s").format(agents=report["agents"], queues=report["queues"],
                               contacts=report["contacts"], cases=number(report["cases"]),
                               seconds=number(elapsed, 1)), markup=False)
    console.print(_("try: casedesk --as maria case list   ·   casedesk --as carlos "
                    "(workstation)"), markup=False)
