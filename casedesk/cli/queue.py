"""``casedesk queue …``: add and list queues, change who is a member."""

from __future__ import annotations

import typer

from casedesk.cli import params
from casedesk.cli.format import queues_table, say
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import _
from casedesk.labels import label
from casedesk.models.base import Area, Strategy
from casedesk.services.directory import queue_setup

queue_app = typer.Typer(help=_("Queues: add, list and membership."), no_args_is_help=True)


@queue_app.command("add", help=_("Add a queue (supervisors)."))
def queue_add(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    area: str = typer.Option(
        "general", "--area", help=_("technical, billing, commercial or general."),
        parser=params.choice("--area", Area),
    ),
    description: str | None = typer.Option(None, "--description"),
    members: str | None = typer.Option(None, "--members", help=_("Comma-separated logins.")),
) -> None:
    state: CliState = ctx.obj
    queue = queue_setup.add_queue(
        state.desk(),
        state.actor(),
        name=name,
        area=area,
        description=description,
        members=params.comma_list(members),
    )
    if state.json:
        print_json(queue)
    else:
        say(console, _("queue {name} ({area}) added").format(name=queue.name,
                                                             area=label("area", queue.area)))


@queue_app.command("list", help=_("List queues with waiting cases and members."))
def queue_list(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    queues = queue_setup.list_queues(state.desk())
    if state.json:
        print_json(queues)
    else:
        console.print(queues_table(queues))


@queue_app.command(
    "members", help=_("Show a queue's members; with --add/--remove, change them (supervisors)."),
)
def queue_members(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    add: str | None = typer.Option(None, "--add", help=_("Comma-separated logins to add.")),
    remove: str | None = typer.Option(None, "--remove", help=_("Comma-separated logins.")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    if add or remove:
        actor = state.actor()
        queue_setup.change_members(desk, actor, name, add=params.comma_list(add),
                                   remove=params.comma_list(remove))
    queue = queue_setup.get_queue(desk, name)
    if state.json:
        print_json(queue)
    else:
        for login in queue.members:
            say(console, login)


@queue_app.command(
    "strategy", help=_("Choose how the queue's new cases pick an agent (supervisors)."),
)
def queue_strategy(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=_("The queue.")),
    strategy: str = typer.Argument(
        ..., help=_("manual, round_robin, least_loaded, skills or affinity."),
        parser=params.choice("STRATEGY", Strategy),
    ),
) -> None:
    state: CliState = ctx.obj
    queue = queue_setup.set_strategy(state.desk(), state.actor(), name, strategy)
    if state.json:
        print_json(queue)
    else:
        say(console, _("queue {name} now assigns by {strategy}").format(
            name=queue.name, strategy=label("strategy", queue.strategy)))
