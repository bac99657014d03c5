"""``casedesk agent …``: add and list agents."""

from __future__ import annotations

import typer

from casedesk.cli import params
from casedesk.cli.format import agents_table, say
from casedesk.cli.state import CliState, console, print_json
from casedesk.models.base import Role
from casedesk.services.directory import presence, staff

agent_app = typer.Typer(help="Agents: add, list and presence.", no_args_is_help=True)


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
    agent = staff.add_agent(
        desk,
        state.optional_actor(),
        login=login,
        name=name,
        role=role,
        email=email,
        skills=params.comma_list(skills),
        capacity=capacity,
        queues=params.comma_list(queues),
    )
    if state.json:
        print_json(agent)
    else:
        say(console, f"agent {agent.login} ({agent.name}, {agent.role}) added")


@agent_app.command("list")
def agent_list(ctx: typer.Context) -> None:
    """List agents with role, status, WIP count and queues."""
    state: CliState = ctx.obj
    agents = staff.list_agents(state.desk())
    if state.json:
        print_json(agents)
    else:
        console.print(agents_table(agents))


@agent_app.command("status")
def agent_status(
    ctx: typer.Context,
    status: str = typer.Argument(
        ..., help="available, away or offline.",
        parser=params.choice("STATUS", presence.SETTABLE),
    ),
    login: str | None = typer.Option(
        None, "--agent", help="Whose status (supervisors); yourself when left out."
    ),
) -> None:
    """Set your presence (or, for supervisors, an agent's): available, away or offline.

    Going offline returns your untouched cases to their queues (unless the desk's
    offline_returns_cases setting is off).
    """
    state: CliState = ctx.obj
    change = presence.set_presence(state.desk(), state.actor(), status, login)
    if state.json:
        print_json(change)
        return
    say(console, f"{change.login} is {change.status}")
    if change.returned:
        say(console, f"returned to their queues: {', '.join(change.returned)}")
