"""``casedesk agent …`` and ``casedesk queue …``."""

from __future__ import annotations

import typer

from casedesk.cli import params
from casedesk.cli.format import agents_table, queues_table, say
from casedesk.cli.state import CliState, console, print_json
from casedesk.models.base import Area, Role
from casedesk.services import directory

agent_app = typer.Typer(help="Agents: add and list.", no_args_is_help=True)
queue_app = typer.Typer(help="Queues: add, list and membership.", no_args_is_help=True)


def _split(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


@agent_app.command("add")
def agent_add(
    ctx: typer.Context,
    login: str = typer.Argument(..., help="Short login, e.g. mlopez."),
    name: str = typer.Option(..., "--name", help="Full name."),
    role: str = typer.Option(
        "agent", "--role", help="agent, supervisor or admin.", parser=params.choice("--role", Role)
    ),
    email: str | None = typer.Option(None, "--email"),
    skills: str | None = typer.Option(None, "--skills", help="Comma-separated skills."),
    capacity: int = typer.Option(
        10, "--capacity", help="Open cases the agent can hold (0 to 1,000).",
        parser=params.integer("--capacity", 0, 1000),
    ),
    queues: str | None = typer.Option(None, "--queues", help="Comma-separated queue names."),
) -> None:
    """Add an agent (admins and supervisors; anyone may add the very first one)."""
    state: CliState = ctx.obj
    desk = state.desk()
    agent = directory.add_agent(
        desk,
        state.optional_actor(),
        login=login,
        name=name,
        role=role,
        email=email,
        skills=_split(skills),
        capacity=capacity,
        queues=_split(queues),
    )
    if state.json:
        print_json(agent)
    else:
        say(console, f"agent {agent.login} ({agent.name}, {agent.role}) added")


@agent_app.command("list")
def agent_list(ctx: typer.Context) -> None:
    """List agents with role, status, WIP count and queues."""
    state: CliState = ctx.obj
    agents = directory.list_agents(state.desk())
    if state.json:
        print_json(agents)
    else:
        console.print(agents_table(agents))


@queue_app.command("add")
def queue_add(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    area: str = typer.Option(
        "general", "--area", help="technical, billing, commercial or general.",
        parser=params.choice("--area", Area),
    ),
    description: str | None = typer.Option(None, "--description"),
    members: str | None = typer.Option(None, "--members", help="Comma-separated logins."),
) -> None:
    """Add a queue (supervisors)."""
    state: CliState = ctx.obj
    queue = directory.add_queue(
        state.desk(),
        state.actor(),
        name=name,
        area=area,
        description=description,
        members=_split(members),
    )
    if state.json:
        print_json(queue)
    else:
        say(console, f"queue {queue.name} ({queue.area}) added")


@queue_app.command("list")
def queue_list(ctx: typer.Context) -> None:
    """List queues with waiting cases and members."""
    state: CliState = ctx.obj
    queues = directory.list_queues(state.desk())
    if state.json:
        print_json(queues)
    else:
        console.print(queues_table(queues))


@queue_app.command("members")
def queue_members(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    add: str | None = typer.Option(None, "--add", help="Comma-separated logins to add."),
    remove: str | None = typer.Option(None, "--remove", help="Comma-separated logins."),
) -> None:
    """Show a queue's members; with --add/--remove, change them (supervisors)."""
    state: CliState = ctx.obj
    desk = state.desk()
    if add or remove:
        actor = state.actor()
        for login in _split(add):
            directory.set_membership(desk, actor, name, login, True)
        for login in _split(remove):
            directory.set_membership(desk, actor, name, login, False)
    queue = directory.get_queue(desk, name)
    if state.json:
        print_json(queue)
    else:
        for login in queue.members:
            say(console, login)
