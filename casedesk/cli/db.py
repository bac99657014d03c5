"""``casedesk db upgrade|info`` and ``casedesk demo``."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from casedesk.cli import params
from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, print_json
from casedesk.db import (
    current_revision,
    head_revision,
    info,
    integrity_check,
    make_engine,
    open_database,
    upgrade,
)

app = typer.Typer(help="Create, upgrade and inspect the database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    ctx: typer.Context,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing when up to date."),
) -> None:
    """Create the schema, or upgrade it to this program's revision."""
    state: CliState = ctx.obj
    engine = make_engine(state.database_url)
    try:
        before, after = upgrade(engine)
    finally:
        engine.dispose()
    if state.json:
        print_json({"before": before, "after": after})
    elif before != after:
        say(console, f"database upgraded: {before or 'empty'} → {after}")
    elif not quiet:
        say(console, f"database already at {after}")


@app.command("info")
def info_cmd(ctx: typer.Context) -> None:
    """Show the URL (password masked), the schema revision and the row counts."""
    state: CliState = ctx.obj
    engine = open_database(state.database_url, check=False)
    try:
        result = info(engine)
    finally:
        engine.dispose()
    if state.json:
        print_json(
            {
                "url": result.url,
                "backend": result.backend,
                "revision": result.revision,
                "head": result.head,
                "counts": result.counts,
            }
        )
        return
    say(console, f"url:       {result.url}")
    say(console, f"backend:   {result.backend}")
    status = "up to date" if result.revision == result.head else "run `casedesk db upgrade`"
    say(
        console,
        f"revision:  {result.revision or 'none'} (this casedesk: {head_revision()}; {status})",
    )
    if result.counts:
        table = Table("table", "rows")
        for name, count in result.counts.items():
            table.add_row(name, f"{count:,}")
        console.print(table)


@app.command("check")
def check_cmd(ctx: typer.Context) -> None:
    """SQLite: check the whole file (PRAGMA quick_check); every open checks a part."""
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
        say(console, f"database sound ({engine.dialect.name}, checked in {elapsed:.2f} s)")


def demo(
    ctx: typer.Context,
    cases: int = typer.Option(
        200, "--cases", help="Generated cases besides the seeds (0 to 10,000,000).",
        parser=params.integer("--cases", 0, 10_000_000),
    ),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if agents exist."),
    seed: int = typer.Option(
        7, "--seed", help="Random seed for generated data.",
        parser=params.integer("--seed", 0, 2**63 - 1),
    ),
) -> None:
    """Fill the database with the seed documents' people and cases plus generated ones.

    A database that does not exist yet is created at this program's schema first.
    """
    from casedesk.services import demo as demo_service

    state: CliState = ctx.obj
    engine = make_engine(state.database_url, create=True)
    try:
        if current_revision(engine) is None:
            upgrade(engine)
    finally:
        engine.dispose()
    desk = state.desk()
    if if_empty and not demo_service.is_empty(desk):
        return
    started = time.perf_counter()
    report = demo_service.seed(desk, cases=cases, seed=seed)
    elapsed = time.perf_counter() - started
    if state.json:
        print_json({**report, "seconds": round(elapsed, 2)})
        return
    console.print(
        f"demo data: {report['agents']} agents, {report['queues']} queues, "
        f"{report['contacts']} contacts, {report['cases']:,} cases in {elapsed:.1f} s"
    )
    console.print("try: casedesk --as maria case list   ·   casedesk --as carlos (workstation)")
