"""``casedesk worker`` and ``casedesk sla status`` through typer's CliRunner (SQLite)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.cli.state import CliState
from casedesk.clock import FrozenClock
from tests.conftest import T0

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["--db", url, "demo", "--cases", "0"]).exit_code == 0
    return url


def cli(db: str, clock: FrozenClock, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db, *args], obj=CliState(clock=clock))
    return result.exit_code, result.stdout, result.stderr


def test_once_runs_the_tick_then_says_it_already_ran(db: str) -> None:
    clock = FrozenClock(T0)
    code, out, err = cli(db, clock, "worker", "--once")
    assert code == 0, err
    assert out.startswith("tick ") and ":worker in " in out and out.count("\n") == 1
    code, out, _ = cli(db, clock, "worker", "--once")
    assert code == 0 and out.startswith("not run: tick ") and "already ran" in out
    clock.advance(timedelta(minutes=1))
    code, out, _ = cli(db, clock, "worker", "--once", "--quiet")
    assert code == 0 and out == ""
    code, out, _ = cli(db, clock, "sla", "status")
    assert code == 0 and out.startswith("The SLA clock last ran 0 s ago, at ")
    assert "Escalated to the supervisor: " in out and "Inactive: " in out


def test_once_records_what_the_scan_did_and_status_lists_it(db: str) -> None:
    clock = FrozenClock(T0)
    code, out, _ = cli(db, clock, "--as", "sofia", "case", "create", "--title", "Sin línea",
                       "--queue", "technical", "--severity", "critical")
    assert code == 0, out
    clock.advance(timedelta(days=4))
    code, out, _ = cli(db, clock, "--json", "worker", "--once")
    assert code == 0
    run = json.loads(out)
    assert sum(run["report"]["breaches"].values()) >= 1 and run["by"].endswith(":worker")
    code, out, _ = cli(db, clock, "sla", "status", "--json")
    status = json.loads(out)
    assert status["clock"]["last_tick"] == run["tick"] and not status["clock"]["late"]
    labels = [c["label"] for c in status["flagged"]["escalated"]]
    assert labels and all(label.startswith("CS-") for label in labels)
    clock.advance(timedelta(minutes=3))
    code, out, _ = cli(db, clock, "sla", "status")
    assert code == 0 and out.startswith("The SLA clock is late: it last ran 3 min ago")


@pytest.mark.parametrize("value", ["0", "4", "3601", "soon", "-5"])
def test_every_is_checked(db: str, value: str) -> None:
    code, out, err = cli(db, FrozenClock(T0), "worker", "--every", value)
    assert code == 1 and out == ""
    assert err.startswith("casedesk: --every ") and err.count("\n") == 1
