"""``casedesk task …``: add, complete and list tasks (on a case or standalone)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from casedesk.cli import params
from casedesk.cli.format import clock_state, say, when
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.plain import cell
from casedesk.services.queries.views import TaskView
from casedesk.services.workflow import tasks as task_service

app = typer.Typer(
    help=_("Tasks: steps on a case, or standalone, with due times."), no_args_is_help=True
)


def _table(rows: list[TaskView]) -> Table:
    table = Table()
    for col in (N_("id"), N_("case"), N_("title"), N_("assignee"),
                N_("status"), N_("sla"), N_("due")):
        wide: dict[str, Any] = {"min_width": 20, "ratio": 1} if col == "title" else {}
        table.add_column(_(col), overflow="ellipsis", no_wrap=True, **wide)
    for t in rows:
        table.add_row(
            str(t.id),
            cell(t.case or "—"),
            cell(t.title),
            cell(t.assignee or "—"),
            cell(label("task_status", t.status)),
            cell(clock_state(t.state) or "—"),
            when(t.due_at),
        )
    return table


@app.command("add", help=_("Add a task."))
def add(
    ctx: typer.Context,
    title: str = typer.Argument(..., help=_("What has to be done.")),
    case: str | None = typer.Option(
        None, "--case", "-c", help=_("Case number (else standalone)."), parser=params.case_number
    ),
    assignee: str | None = typer.Option(None, "--assignee", "-a", help=_("Login (default: you).")),
    due: datetime | None = typer.Option(
        None, "--due", help=_("Due time, ISO 8601 (local if no zone)."), parser=params.due_time
    ),
    within: str | None = typer.Option(
        None, "--in", help=_("Due in business time on the case's calendar, e.g. 4h, 1d, 1h30m."),
        parser=params.duration("--in"),
    ),
    description: str = typer.Option("", "--description", "-d"),
) -> None:
    state: CliState = ctx.obj
    params.check_ahead("--due", due, state.clock.now())
    task = task_service.add_task(
        state.desk(),
        state.actor(),
        title=title,
        case=case,
        assignee=assignee,
        due_at=due,
        due_in=within,
        description=description,
    )
    if state.json:
        print_json(task)
    else:
        if task.case:
            say(console, _("task {id} added on {case}, due {due}").format(
                id=task.id, case=task.case, due=when(task.due_at)))
        else:
            say(console, _("task {id} added, due {due}").format(id=task.id, due=when(task.due_at)))


@app.command("done", help=_("Mark a task done (met, or breached when late)."))
def done(
    ctx: typer.Context,
    task_id: int = typer.Argument(
        ..., metavar="ID", help=_("Task id."), parser=params.record_id("task")
    ),
) -> None:
    state: CliState = ctx.obj
    task = task_service.complete_task(state.desk(), state.actor(), task_id)
    if state.json:
        print_json(task)
    else:
        say(console, _("task {id} done ({state})").format(
            id=task.id, state=clock_state(task.state) if task.state else _("no deadline")))


@app.command("list", help=_("List open tasks, soonest due first."))
def list_(
    ctx: typer.Context,
    case: str | None = typer.Option(
        None, "--case", "-c", help=_("Only this case's tasks."), parser=params.case_number
    ),
    assignee: str | None = typer.Option(None, "--assignee", "-a", help=_("Only this agent's.")),
    mine: bool = typer.Option(False, "--mine", help=_("Only mine.")),
    all_: bool = typer.Option(False, "--all", help=_("Include done tasks.")),
) -> None:
    state: CliState = ctx.obj
    if mine:
        assignee = state.actor().login
    rows = task_service.list_tasks(state.desk(), case=case, assignee=assignee, include_done=all_)
    if state.json:
        print_json(rows)
    else:
        console.print(_table(rows))
