"""``casedesk team …``: teams (an outsourced partner, a site) own agents and queues."""

from __future__ import annotations

import typer

from casedesk.cli import params
from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import _
from casedesk.plain import cell
from casedesk.services.directory import teams
from casedesk.services.queries.views import TeamView

team_app = typer.Typer(help=_("Teams: add, list, members and queues (admins)."),
                       no_args_is_help=True)


def _show(state: CliState, team: TeamView) -> None:
    if state.json:
        print_json(team)
        return
    say(console, _("team {name}").format(name=team.name))
    say(console, _("members: {agents}").format(agents=", ".join(team.members) or _("none")))
    say(console, _("queues:  {queues}").format(queues=", ".join(team.queues) or _("none")))


@team_app.command("add", help=_("Add a team (admins)."))
def team_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=_("The team's name, e.g. 'Partner North'.")),
    description: str | None = typer.Option(None, "--description"),
) -> None:
    state: CliState = ctx.obj
    team = teams.add_team(state.desk(), state.actor(), name, description)
    if state.json:
        print_json(team)
    else:
        say(console, _("team {name} added").format(name=team.name))


@team_app.command("list", help=_("List the teams with their agents and queues."))
def team_list(ctx: typer.Context) -> None:
    from rich.table import Table

    state: CliState = ctx.obj
    found = teams.list_teams(state.desk())
    if state.json:
        print_json(found)
        return
    table = Table()
    for column in ("team", "description", "members", "queues"):
        table.add_column(column)
    for t in found:
        table.add_row(cell(t.name), cell(t.description or ""), cell(", ".join(t.members)),
                      cell(", ".join(t.queues)))
    console.print(table)


@team_app.command(
    "members", help=_("Show a team's agents; with --add/--remove, change them (admins)."),
)
def team_members(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    add: str | None = typer.Option(None, "--add", help=_("Comma-separated logins to add.")),
    remove: str | None = typer.Option(None, "--remove", help=_("Comma-separated logins.")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    if add or remove:
        actor = state.actor()
        teams.change_members(desk, actor, name, add=params.comma_list(add),
                             remove=params.comma_list(remove))
    _show(state, teams.get_team(desk, name))


@team_app.command(
    "queues", help=_("Show a team's queues; with --add/--remove, change them (admins)."),
)
def team_queues(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    add: str | None = typer.Option(None, "--add", help=_("Comma-separated queues to give it.")),
    remove: str | None = typer.Option(None, "--remove", help=_("Comma-separated queues.")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    if add or remove:
        actor = state.actor()
        for queue in params.comma_list(add):
            teams.set_queue(desk, actor, name, queue, True)
        for queue in params.comma_list(remove):
            teams.set_queue(desk, actor, name, queue, False)
    _show(state, teams.get_team(desk, name))
