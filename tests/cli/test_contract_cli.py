"""``casedesk contract …``, ``customer show``, ``case create``'s contract line, ``case time``
and ``time day`` through CliRunner (SQLite): output, JSON, one-line errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.directory import customers

runner = CliRunner()


def cli(db: str, *args: str, who: str | None = None) -> tuple[int, str, str]:
    argv = ["--db", db, *(["--as", who] if who else [])]
    result = runner.invoke(app, [*argv, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli(url, "db", "upgrade")[0] == 0
    assert cli(url, "agent", "add", "boss", "--name", "Jefa", "--role", "admin")[0] == 0
    for login, role in (("sup", "supervisor"), ("ana", "agent")):
        code, _, err = cli(url, "agent", "add", login, "--name", login.title(), "--role", role,
                           who="boss")
        assert code == 0, err
    engine = make_engine(url)
    desk = Desk(engine)
    account = customers.add_account(desk, name="Pérez Hogar", tier="gold")
    customers.add_contact(desk, name="Juan Pérez", email="juan@example.com",
                          phone="+34 600 111 222", account_id=account)
    engine.dispose()
    return url


def test_a_template_makes_a_contract_and_a_case_uses_it_up(db: str) -> None:
    code, out, err = cli(db, "contract", "template", "add", "Hogar Plus", "--days", "365",
                         "--line", "Incidencias:cases:1", "--line", "Remoto:minutes:30",
                         who="sup")
    assert code == 0, err
    assert "added with 2 lines" in out
    code, out, err = cli(db, "contract", "template", "apply", "hogar plus",
                         "--account", "Pérez Hogar", "--starts", "2026-01-01", who="sup")
    assert code == 0, err
    assert "CT-000001" in out and "2026-12-31" in out
    code, out, err = cli(db, "case", "create", "-t", "Sin línea", "--contact", "1", who="ana")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Contract line Incidencias (CT-000001): 1 of 1 case left")
    assert "CS-000001: created" in lines[1]
    code, out, err = cli(db, "case", "create", "-t", "Otra", "--contact", "1",
                         "--contract-line", "1", who="ana")
    assert code == 0, err  # exhausted: said, never refused
    assert "is exhausted: 1 of 1 case used" in out
    code, out, _ = cli(db, "--json", "contract", "show", "CT-000001", who="ana")
    shown = json.loads(out)
    assert [(li["used"], li["state"]) for li in shown["lines"]] == [
        (2, "exhausted"), (0, "ok")]
    code, out, _ = cli(db, "case", "create", "-t", "Sin contrato", "--contact", "1",
                       "--no-contract-line", who="ana")
    assert code == 0 and "Contract line" not in out


def test_case_time_adds_minutes_and_counts_children(db: str) -> None:
    assert cli(db, "case", "create", "-t", "Caída general", who="ana")[0] == 0
    assert cli(db, "case", "create", "-t", "Cliente 1", "--parent", "CS-000001", who="ana")[0] == 0
    code, out, err = cli(db, "case", "time", "CS-000002", "--add", "15", "--note", "revisión",
                         who="ana")
    assert code == 0, err
    assert "CS-000002: 15 min logged" in out
    code, out, _ = cli(db, "case", "time", "1", "--add", "10", who="ana")
    assert "25 min in all — 10 on the case itself and 15 on its 1 child case (CS-000002)" in out
    code, out, _ = cli(db, "--json", "case", "time", "1", "--by-agent", who="ana")
    data = json.loads(out)
    assert (data["total_minutes"], data["by_agent"][0]["login"]) == (25, "ana")
    code, out, err = cli(db, "--json", "time", "day", "--agent", "ana", who="ana")
    assert code == 0, err
    day = json.loads(out)
    assert [d["login"] for d in day] == ["ana"] and day[0]["by_kind"] == {"work": 25}


@pytest.mark.parametrize(("args", "code", "words"), [
    (("contract", "add", "--account", "Pérez Hogar", "--name", "X"), 1, "only a supervisor"),
    (("contract", "show", "CT-424242"), 1, "no contract"),
    (("contract", "line", "add", "CT-1", "--name", "L", "--allotment", "hours", "--total", "3"),
     2, "is not one of"),
    (("contract", "line", "add", "CT-1", "--name", "L", "--allotment", "cases", "--total",
      "0"), 1, "out of range"),
    (("contract", "add", "--account", "1", "--name", "X", "--starts", "2026-02-30"), 1,
     "is not a day"),
    (("contract", "template", "add", "T", "--line", "nada"), 1, "NAME:cases:TOTAL"),
    (("contract", "template", "apply", "No existe", "--account", "1"), 1, "no contract template"),
    (("case", "time", "CS-000001", "--add", "1441"), 1, "out of range"),
    (("case", "time", "CS-000001", "--note", "x"), 2, "--note goes with --add"),
    (("time", "day", "--date", "yesterday"), 1, "is not a day"),
    (("time", "day", "--agent", "nadie"), 1, "no agent"),
    (("customer", "show", "nadie"), 1, "no customer matches"),
    (("customer", "show", "--account", "999"), 1, "no account"),
    (("case", "create", "-t", "X", "--contract-line", "1", "--no-contract-line"), 2, "not both"),
])
def test_bad_input_is_one_line_with_its_exit_code(
    db: str, args: tuple[str, ...], code: int, words: str
) -> None:
    who = "ana" if args[0] in ("case", "time", "customer") or args[1] == "add" else "sup"
    got, out, err = cli(db, *args, who=who)
    assert got == code, (out, err)
    assert len(err.strip().splitlines()) == 1 and words in err
    assert "Traceback" not in out + err


def test_customer_show_finds_by_name_phone_and_account(db: str) -> None:
    for who in ("1", "juan", "600 111 222", "juan@example.com"):
        code, out, err = cli(db, "--json", "customer", "show", who, who="ana")
        assert code == 0, err
        view = json.loads(out)
        assert (view["contact"], view["account"]) == ("Juan Pérez", "Pérez Hogar")
    code, out, err = cli(db, "customer", "show", "--account", "pérez", who="ana")
    assert code == 0, err
    assert "No case of this customer has been rated." in out
    assert "No contract on record." in out
