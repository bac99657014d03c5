"""``casedesk case quote`` (the command function; the lead registers it under ``case``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from casedesk.cli.quote import quote
from casedesk.cli.state import CliState
from casedesk.db import make_engine, upgrade
from casedesk.services.context import Desk
from casedesk.services.workflow.cases import create_case
from tests.conftest import build_world


def _app(url: str, who: str) -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main(ctx: typer.Context, json_: bool = typer.Option(False, "--json")) -> None:
        ctx.obj = CliState(db_flag=url, as_flag=who, json=json_)

    app.command("quote")(quote)
    return app


def test_an_agent_attaches_and_lists_quotes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    engine = make_engine(url)
    upgrade(engine)
    world = build_world(Desk(engine))
    number = create_case(world.desk, world.ana, title="Router", contact_id=world.contact_id,
                         queue="technical").label
    engine.dispose()
    runner = CliRunner()
    added = runner.invoke(_app(url, "ana"), ["quote", number, "120,50", "--note", "Nuevo"])
    assert added.exit_code == 0, added.output
    assert "120.50 EUR  pending  Nuevo" in added.output
    listed = runner.invoke(_app(url, "ana"), ["--json", "quote", number])
    assert [q["amount_cents"] for q in json.loads(listed.output)] == [12050]
    refused = runner.invoke(_app(url, "ana"), ["quote", number, "-5"])
    assert refused.exit_code != 0
