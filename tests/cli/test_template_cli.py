"""``casedesk template …``, ``case new --template`` and ``case edit`` through CliRunner (SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app

runner = CliRunner()

TEMPLATES = """
[[template]]
name = "Avería de fibra"
title = "Avería de fibra"
area = "technical"
priority = "high"
severity = "major"
queue = "technical"
description = "Luces del router:"

[[template.task]]
title = "Diagnóstico remoto"
due = "2h"
assignee = "owner"

[[template.task]]
title = "Cita con el técnico"
due = "1d"
"""


def cli(db: str, *args: str, who: str | None = None) -> tuple[int, str, str]:
    argv = ["--db", db, *(["--as", who] if who else [])]
    result = runner.invoke(app, [*argv, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert cli(url, "db", "upgrade")[0] == 0
    assert cli(url, "agent", "add", "boss", "--name", "Jefa", "--role", "admin")[0] == 0
    for login, role in (("sup", "supervisor"), ("ana", "agent"), ("pepe", "agent")):
        code, _, err = cli(url, "agent", "add", login, "--name", login.title(), "--role", role,
                           who="boss")
        assert code == 0, err
    code, _, err = cli(url, "queue", "add", "technical", "--area", "technical",
                       "--members", "ana,sup", who="boss")
    assert code == 0, err
    return url


@pytest.fixture
def loaded(db: str, tmp_path: Path) -> str:
    path = tmp_path / "t.toml"
    path.write_text(TEMPLATES, encoding="utf-8")
    code, out, err = cli(db, "template", "load", str(path), who="sup")
    assert code == 0, err
    assert "loaded 1 template from" in out
    return db


def test_load_list_show(loaded: str, tmp_path: Path) -> None:
    code, out, _ = cli(loaded, "template", "list")
    assert code == 0 and "Avería de fibra" in out and "technical" in out
    code, out, _ = cli(loaded, "--json", "template", "show", "Avería de fibra")
    shown = json.loads(out)
    assert shown["queue"] == "technical"
    assert [(t["title"], t["due"], t["assignee"]) for t in shown["tasks"]] == [
        ("Diagnóstico remoto", "2h", "owner"), ("Cita con el técnico", "1d", None)]
    code, out, _ = cli(loaded, "template", "show", "Avería de fibra")
    assert code == 0 and "Cita con el técnico" in out
    code, _, err = cli(loaded, "template", "show", "Nada")
    assert code == 1 and err.startswith("casedesk: no template 'Nada'") and err.count("\n") == 1


def test_load_refusals_are_one_line(db: str, tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(TEMPLATES, encoding="utf-8")
    code, _, err = cli(db, "template", "load", str(path), who="ana")
    assert code == 1 and "only supervisors" in err and err.count("\n") == 1
    path.write_text(TEMPLATES.replace('"major"', '"enorme"'), encoding="utf-8")
    code, _, err = cli(db, "template", "load", str(path), who="sup")
    assert code == 1 and err.count("\n") == 1
    assert "template 'Avería de fibra' severity: 'enorme' is not one of" in err
    path.write_text("[[template]\nname=", encoding="utf-8")
    code, _, err = cli(db, "template", "load", str(path), who="sup")
    assert code == 1 and "not valid TOML" in err and err.count("\n") == 1
    code, _, err = cli(db, "template", "load", str(tmp_path / "none.yaml"), who="sup")
    assert code == 1 and "cannot read" in err


def test_case_new_from_template(loaded: str) -> None:
    code, out, err = cli(loaded, "--json", "case", "new", "--template", "Avería de fibra",
                         who="ana")
    assert code == 0, err
    case = json.loads(out)
    assert (case["title"], case["queue"], case["priority"]) == (
        "Avería de fibra", "technical", "high")
    assert case["version"] == 3  # created + two playbook tasks
    code, out, _ = cli(loaded, "--json", "task", "list", "--case", case["label"])
    assert [t["title"] for t in json.loads(out)] == ["Diagnóstico remoto", "Cita con el técnico"]
    code, out, err = cli(loaded, "--json", "case", "create", "--template", "Avería de fibra",
                         "--title", "Sin fibra en casa", "--queue", "", "--priority", "low",
                         who="ana")
    assert code == 0, err
    case = json.loads(out)
    assert (case["title"], case["queue"], case["owner"], case["priority"]) == (
        "Sin fibra en casa", None, "ana", "low")
    code, _, err = cli(loaded, "case", "create", who="ana")
    assert code == 2 and "--title" in err and err.count("\n") == 1
    code, _, err = cli(loaded, "case", "new", "--template", "Nada", who="ana")
    assert code == 1 and "no template 'Nada'" in err


def test_case_edit(loaded: str) -> None:
    code, out, err = cli(loaded, "--json", "case", "create", "--title", "Router", "--queue",
                         "technical", who="ana")
    assert code == 0, err
    number = json.loads(out)["label"]
    code, out, err = cli(loaded, "case", "edit", number, "--priority", "HIGH", "--title",
                         "Router sin señal", "--version", "1", who="ana")
    assert code == 0, err
    assert f"{number}: edited (version 2)" in out
    code, out, _ = cli(loaded, "--json", "case", "show", number)
    shown = json.loads(out)
    assert shown["priority"] == "high" and shown["title"] == "Router sin señal"
    assert "priority medium → high" in shown["timeline"][-1]["text"]
    code, _, err = cli(loaded, "case", "edit", number, "--title", "otro", "--version", "1",
                       who="sup")
    assert code == 1 and "was changed by Ana" in err and err.count("\n") == 1
    code, _, err = cli(loaded, "case", "edit", number, "--title", "otro", who="pepe")
    assert code == 1 and "not yours" in err


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        ([], 2, "say what to change"),
        (["--priority", "urgent"], 2, "is not one of: high, medium, low"),
        (["--area", "x"], 2, "--area"),
        (["--contact", "abc"], 1, "--contact 'abc' is not a whole number"),
        (["--contact", "0"], 1, "out of range"),
        (["--contract-line", str(2**63)], 1, "out of range"),
        (["--version", "0", "--title", "x"], 1, "--version '0' is out of range"),
        (["--version", "x", "--title", "x"], 1, "not a whole number"),
        (["--contact", "99", "--title", "x"], 1, "no contact 99"),
        (["--title", "   "], 1, "a case needs a title"),
    ],
)
def test_case_edit_validates_every_value(
    loaded: str, args: list[str], code: int, says: str
) -> None:
    assert cli(loaded, "case", "create", "--title", "Router", who="ana")[0] == 0
    got, out, err = cli(loaded, "case", "edit", "CS-000001", *args, who="ana")
    assert (got, out) == (code, "")
    assert says in err and err.count("\n") == 1 and "Traceback" not in err


def test_the_shipped_file_loads(db: str) -> None:
    from casedesk.services.sla.policy_files import DATA_DIR

    for name in ("billing", "commercial"):
        assert cli(db, "queue", "add", name, "--area", name, who="boss")[0] == 0
    code, out, err = cli(db, "template", "load", str(DATA_DIR / "templates.toml"), who="sup")
    assert code == 0, err
    assert "loaded 3 templates" in out
