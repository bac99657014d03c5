"""``casedesk db upgrade|info|check``: create, upgrade and inspect the database."""

from __future__ import annotations

import time
from dataclasses import asdict

import typer
from rich.table import Table

from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, print_json
from casedesk.db import (
    head_revision,
    info,
    integrity_check,
    make_engine,
    open_database,
    upgrade,
)
from casedesk.i18n import _
from casedesk.localformat import number
from casedesk.services.directory import roles

app = typer.Typer(help=_("Create, upgrade and inspect the database."), no_args_is_help=True)


@app.command("upgrade", help=_("Create the schema, or upgrade it to this program's revision."))
def upgrade_cmd(
    ctx: typer.Context,
    quiet: bool = typer.Option(False, "--quiet", "-q", help=_("Print nothing when up to date.")),
) -> None:
    state: CliState = ctx.obj
    engine = make_engine(state.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if state.json:
        print_json({"before": before, "after": after})
    elif before != after:
        say(console, _("database upgraded: {before} → {after}").format(
            before=before or _("empty"), after=after))
    elif not quiet:
        say(console, _("database already at {revision}").format(revision=after))


@app.command(
    "info", help=_("Show the URL (password masked), the schema revision and the row counts."),
)
def info_cmd(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    engine = state.desk(check=False).engine
    result = info(engine)
    rights = roles.connection_rights(engine)
    if state.json:
        print_json(
            {
                "url": result.url,
                "backend": result.backend,
                "revision": result.revision,
                "head": result.head,
                "counts": result.counts,
                "connected_as": asdict(rights),
            }
        )
        return
    say(console, _("url:       {url}").format(url=result.url))
    say(console, _("backend:   {backend}").format(backend=result.backend))
    status = (_("up to date") if result.revision == result.head
              else _("run `casedesk db upgrade`"))
    say(console, _("revision:  {revision} (this casedesk: {head}; {status})").format(
        revision=result.revision or _("none"), head=head_revision(), status=status))
    if rights.role is not None:
        group = rights.group or _("no casedesk group")
        agent = (_("agent {login}").format(login=rights.agent) if rights.agent
                 else _("no casedesk agent"))
        say(console, _("role:      {role} ({group}; {agent}; team {team})").format(
            role=rights.role, group=group, agent=agent, team=rights.team or _("none")))
    say(console, _("may:       {rights}").format(rights="; ".join(rights.may)))
    if result.counts:
        table = Table(_("table"), _("rows"))
        for name, count in result.counts.items():
            table.add_row(name, f"{count:,}")
        console.print(table)


@app.command(
    "check", help=_("SQLite: check the whole file (PRAGMA quick_check); every open checks a part."),
)
def check_cmd(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    engine = open_database(state.database_url, check=False)
    try:
        started = time.perf_counter()
        integrity_check(engine, full=True)
        elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    if state.json:
        print_json({"ok": True, "seconds": round(elapsed, 3)})
    else:
        say(console, _("database sound ({backend}, checked in {seconds} s)").format(
            backend=engine.dialect.name, seconds=number(elapsed, 2)))
