"""``casedesk report NAME`` and ``casedesk report list`` through typer's CliRunner, on the
fixed floor of the report service tests (SQLite)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.clock import FrozenClock
from casedesk.db import make_engine, write_session
from casedesk.models import Product
from casedesk.services.context import Desk
from tests.conftest import build_world
from tests.services.test_reports import NOW, build

runner = CliRunner()
PERIOD = ["--from", "2026-03-28", "--to", "2026-04-03", "--tz", "Europe/Madrid"]


def cli(db: str, *args: str, who: str | None = "maria") -> tuple[int, str, str]:
    argv = ["--db", db, *(["--as", who] if who else [])]
    result = runner.invoke(app, [*argv, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "reports.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    desk = Desk(engine, FrozenClock(NOW))
    build(build_world(desk))
    with write_session(engine) as s:  # text a spreadsheet would run, from outside
        s.execute(update(Product).where(Product.code == "MOV").values(name="=HYPERLINK(1)"))
    engine.dispose()
    return url


def test_list_names_every_report(db: str) -> None:
    code, out, err = cli(db, "report", "list")
    assert code == 0, err
    for name in ("volume", "backlog", "sla", "times", "agents", "calls", "resolutions",
                 "causes", "entitlements", "satisfaction", "now"):
        assert name in out


def test_table_csv_and_json_say_the_same(db: str) -> None:
    code, out, err = cli(db, "report", "volume", *PERIOD)
    assert code == 0, err
    assert "Cases opened, resolved and closed per day" in out
    assert "2026-03-29" in out and "Europe/Madrid" in out
    code, out, err = cli(db, "report", "volume", *PERIOD, "--format", "csv")
    assert code == 0, err
    lines = list(csv.reader(io.StringIO(out)))
    assert lines[0] == ["day", "opened", "resolved", "closed"]
    assert lines[2] == ["2026-03-29", "1", "2", "0"]
    assert len(lines) == 8
    code, out, err = cli(db, "report", "volume", *PERIOD, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["report"] == "volume" and data["zone"] == "Europe/Madrid"
    assert data["rows"][1] == {"day": "2026-03-29", "opened": 1, "resolved": 2, "closed": 0}


def test_times_are_shown_for_people_and_written_as_seconds(db: str) -> None:
    code, out, _ = cli(db, "report", "times", *PERIOD)
    assert code == 0 and "22h 00m" in out  # the median resolution, 79,200 s
    code, out, _ = cli(db, "report", "times", *PERIOD, "-f", "csv")
    assert "resolution,3,79200.0,90720.0" in out


def test_csv_neutralises_formulas(db: str) -> None:
    code, out, err = cli(db, "report", "causes", *PERIOD, "-f", "csv")
    assert code == 0, err
    cells = [row[1] for row in csv.reader(io.StringIO(out))]
    assert "'=HYPERLINK(1)" in cells and "=HYPERLINK(1)" not in cells


def test_filters_reach_the_report(db: str) -> None:
    code, out, err = cli(db, "report", "agents", *PERIOD, "--agent", "luis", "-f", "json")
    assert code == 0, err
    assert [r["agent"] for r in json.loads(out)["rows"]] == ["luis"]
    code, out, err = cli(db, "report", "calls", *PERIOD, "--queue", "billing", "-f", "json")
    assert code == 0, err
    assert sum(r["count"] for r in json.loads(out)["rows"]) == 3


def test_the_now_board_prints(db: str) -> None:
    code, out, err = cli(db, "report", "now")
    assert code == 0, err
    assert "technical" in out and "waiting" in out


@pytest.mark.parametrize(("args", "code", "words"), [
    (["volume", "--from", "2026-13-01"], 2, "is not a day"),
    (["volume", "--from", "29/03/2026"], 2, "is not a day"),
    (["volume", "--from", "2026-04-03", "--to", "2026-03-28"], 2, "before --from"),
    (["volume", "--from", "1900-01-01", "--to", "2026-03-28"], 2, "is not a day"),
    (["volume", "--from", "2000-01-01", "--to", "2026-03-28"], 2, "at most"),
    (["nope"], 2, "is not one of"),
    (["volume", "--tz", "Mars/Olympus"], 2, "unknown time zone"),
    (["volume", "--format", "xls"], 2, "is not one of"),
    (["volume", "--queue", "nope"], 1, "no queue"),
    (["volume", "--team", "nope"], 1, "no team"),
])
def test_bad_values_are_one_line(db: str, args: list[str], code: int, words: str) -> None:
    got, out, err = cli(db, "report", *args)
    assert got == code
    assert words in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_reports_are_for_supervisors(db: str) -> None:
    code, _out, err = cli(db, "report", "volume", *PERIOD, who="ana")
    assert code == 1 and "reports are for supervisors" in err
