"""``casedesk template …``: case templates and their playbooks (list, show, load)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import _, ngettext
from casedesk.labels import label
from casedesk.plain import cell, plain
from casedesk.services.workflow import templates
from casedesk.services.workflow.templates import TemplateSpec

app = typer.Typer(help=_("Case templates and their playbooks of tasks."), no_args_is_help=True)

FILE = typer.Argument(..., metavar="FILE", help=_("A TOML or YAML file (see docs/templates.md)."))
NAME = typer.Argument(..., metavar="NAME", help=_("The template's name."))


def _fields(t: TemplateSpec) -> str:
    queue = (_("queue {queue}").format(queue=t.queue) if t.queue
             else _("queue — (your bin)"))
    return (f"{label('area', t.area)} · {label('priority', t.priority)} / "
            f"{label('severity', t.severity)} · {queue}")


@app.command("list", help=_("List the templates, by name."))
def list_(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    found = templates.list_templates(state.desk())
    if state.json:
        print_json(found)
        return
    table = Table(title=_("templates ({count})").format(count=len(found)))
    table.add_column(_("template"), no_wrap=True)
    table.add_column(_("title"))
    table.add_column(_("category · priority / severity · queue"))
    table.add_column(_("tasks"), justify="right")
    for t in found:
        table.add_row(cell(t.name), cell(t.title or "—"), cell(_fields(t)), str(len(t.tasks)))
    console.print(table)


@app.command("show", help=_("Show a template: what it fills in and its playbook."))
def show(ctx: typer.Context, name: str = NAME) -> None:
    state: CliState = ctx.obj
    t = templates.get_template(state.desk(), name)
    if state.json:
        print_json(t)
        return
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row(_("template"), cell(t.name))
    head.add_row(_("title"), cell(t.title or "—"))
    head.add_row(_("fills in"), cell(_fields(t)))
    if t.description:
        head.add_row(_("description"), plain(t.description))
    console.print(head)
    steps = Table(title=_("playbook (due: business time after the case is created)"))
    steps.add_column("#", justify="right")
    steps.add_column(_("task"))
    steps.add_column(_("due"), no_wrap=True)
    steps.add_column(_("assignee"), no_wrap=True)
    for i, step in enumerate(t.tasks, 1):
        steps.add_row(str(i), cell(step.title), step.due or "—", cell(step.assignee or "—"))
    console.print(steps)


@app.command(
    "load", help=_("Load (upsert by name) the templates of a file, all or nothing. Supervisors."),
)
def load(ctx: typer.Context, path: Path = FILE) -> None:
    state: CliState = ctx.obj
    names = templates.load_file(state.desk(), state.actor(), path)
    if state.json:
        print_json({"templates": names})
    else:
        say(console, ngettext("loaded {count} template from {file}",
                              "loaded {count} templates from {file}", len(names)).format(
            count=len(names), file=path))
