"""``casedesk db upgrade|info`` and ``casedesk demo``."""

from __future__ import annotations

import time

import typer
from rich.table import Table

from casedesk.cli.state import CliState, console, print_json
from casedesk.db import head_revision, info, make_engine, upgrade

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
        console.print(f"database upgraded: {before or 'empty'} → {after}")
    elif not quiet:
        console.print(f"database already at {after}")


@app.command("info")
def info_cmd(ctx: typer.Context) -> None:
    """Show the URL (password masked), the schema revision and the row counts."""
    state: CliState = ctx.obj
    engine = make_engine(state.database_url)
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
    console.print(f"url:       {result.url}")
    console.print(f"backend:   {result.backend}")
    status = "up to date" if result.revision == result.head else "run `casedesk db upgrade`"
    console.print(
        f"revision:  {result.revision or 'none'} (this casedesk: {head_revision()}; {status})"
    )
    if result.counts:
        table = Table("table", "rows")
        for name, count in result.counts.items():
            table.add_row(name, f"{count:,}")
        console.print(table)


def demo(
    ctx: typer.Context,
    cases: int = typer.Option(200, "--cases", min=0, help="Generated cases besides the seeds."),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if agents exist."),
    seed: int = typer.Option(7, "--seed", help="Random seed for generated data."),
) -> None:
    """Fill the database with the seed documents' people and cases plus generated ones."""
    from casedesk.services import demo as demo_service

    state: CliState = ctx.obj
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
