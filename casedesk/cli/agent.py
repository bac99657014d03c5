"""``casedesk agent …``: add and list agents."""

from __future__ import annotations

import sys

import typer

from casedesk.cli import params
from casedesk.cli.format import agents_table, say
from casedesk.cli.state import CliState, console, err_console, print_json
from casedesk.errors import ConfigError, ValidationError
from casedesk.i18n import _
from casedesk.labels import label
from casedesk.models.base import Role
from casedesk.services.directory import presence, staff

agent_app = typer.Typer(help=_("Agents: add, list and presence."), no_args_is_help=True)


@agent_app.command("add", help=_(
    "Add an agent (admins and supervisors; anyone may add the very first one).\n"
    "\n"
    "On PostgreSQL the agent gets a login role of their own (an admin's connection "
    "is needed for that), asked for a password twice unless --password-stdin or "
    "--no-password (off a terminal, without either, the role gets no password and a "
    "line says so)."
))
def agent_add(
    ctx: typer.Context,
    login: str = typer.Argument(..., help=_("Short login, e.g. mlopez.")),
    name: str = typer.Option(..., "--name", help=_("Full name.")),
    role: str = typer.Option(
        "agent", "--role",
        help=_("agent, supervisor or admin."), parser=params.choice("--role", Role)
    ),
    email: str | None = typer.Option(None, "--email"),
    skills: str | None = typer.Option(None, "--skills", help=_("Comma-separated skills.")),
    capacity: int = typer.Option(
        10, "--capacity", help=_("Open cases the agent can hold (0 to 1,000)."),
        parser=params.integer("--capacity", 0, 1000),
    ),
    queues: str | None = typer.Option(None, "--queues", help=_("Comma-separated queue names.")),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help=_("PostgreSQL: read the password from one line of stdin.")
    ),
    no_password: bool = typer.Option(
        False, "--no-password", help=_("PostgreSQL: no password (the server trusts or peers).")
    ),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk(create=True)  # the first agent may make a new SQLite file's schema
    password = None
    if desk.shared and not no_password:
        if password_stdin or sys.stdin.isatty():
            password = _read_password(password_stdin, _("password for {login}").format(login=login))
        else:
            say(err_console, _(
                "no terminal to ask for a password on: the role {login} gets none (give one "
                "with `casedesk agent passwd {login} --password-stdin`)").format(login=login))
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
        password=password,
    )
    if state.json:
        print_json(agent)
    else:
        say(console, _("agent {login} ({name}, {role}) added").format(
            login=agent.login, name=agent.name, role=label("role", agent.role)))


def _read_password(from_stdin: bool, prompt: str) -> str:
    """One line of stdin (scripts), or typed twice at a hidden prompt; never echoed, logged
    or stored."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line.strip("\r\n"):
            raise ValidationError(_("--password-stdin read no password (an empty line)"))
        return line.rstrip("\r\n")
    if not sys.stdin.isatty():
        raise ConfigError(
            _("no terminal to ask for the password on: use --password-stdin (or "
              "--no-password)")
        )
    password: str = typer.prompt(prompt, hide_input=True, err=True,
                                 confirmation_prompt=_("Repeat for confirmation"))
    return password


@agent_app.command(
    "passwd",
    help=_("PostgreSQL: set an agent's password (ALTER ROLE; nothing is stored by casedesk)."),
)
def agent_passwd(
    ctx: typer.Context,
    login: str = typer.Argument(..., help=_("Whose password (admins; or your own).")),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help=_("Read the new password from one line of stdin.")
    ),
) -> None:
    state: CliState = ctx.obj
    actor = state.actor()
    if not state.desk().shared:
        raise ValidationError(_("a SQLite desk has no passwords: it is one person's file"))
    password = _read_password(password_stdin, _("new password for {login}").format(login=login))
    agent = staff.set_password(state.desk(), actor, login, password)
    if state.json:
        print_json(agent)
    else:
        say(console, _("password of {login} changed").format(login=agent.login))


@agent_app.command("disable", help=_(
    "Deactivate an agent: on PostgreSQL their role may no longer log in. History "
    "stays."
))
def agent_disable(
    ctx: typer.Context,
    login: str = typer.Argument(..., help=_("The agent who leaves.")),
) -> None:
    state: CliState = ctx.obj
    agent = staff.set_agent_active(state.desk(), state.actor(), login, False)
    if state.json:
        print_json(agent)
    else:
        say(console, _("agent {login} disabled (their history stays)").format(login=agent.login))


@agent_app.command("list", help=_("List agents with role, status, WIP count and queues."))
def agent_list(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    agents = staff.list_agents(state.desk())
    if state.json:
        print_json(agents)
    else:
        console.print(agents_table(agents))


@agent_app.command("status", help=_(
    "Set your presence (or, for supervisors, an agent's): available, away or "
    "offline.\n"
    "\n"
    "Going offline returns your untouched cases to their queues (unless the desk's "
    "offline_returns_cases setting is off)."
))
def agent_status(
    ctx: typer.Context,
    status: str = typer.Argument(
        ..., help=_("available, away or offline."),
        parser=params.choice("STATUS", presence.SETTABLE),
    ),
    login: str | None = typer.Option(
        None, "--agent", help=_("Whose status (supervisors); yourself when left out.")
    ),
) -> None:
    state: CliState = ctx.obj
    change = presence.set_presence(state.desk(), state.actor(), status, login)
    if state.json:
        print_json(change)
        return
    say(console, _("{login} is {status}").format(login=change.login,
                                                status=label("agent_status", change.status)))
    if change.returned:
        say(console, _("returned to their queues: {cases}").format(
            cases=", ".join(change.returned)))
