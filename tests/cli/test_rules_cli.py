"""``casedesk rules …`` through typer's CliRunner (SQLite): load, list, test, enable,
disable, move; one-line errors with the documented exit codes; a case created from the
CLI routes and ``case show`` says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app

runner = CliRunner()

RULES = """
[[rule]]
name = "vip"
queue = "billing"
when = { tier = "vip" }

[[rule]]
name = "facturas"
queue = "billing"
set_priority = "high"
when = { keywords = ["factura", "cobro"] }
"""


def cli(db: str, *args: str, who: str | None = "maria") -> tuple[int, str, str]:
    argv = ["--db", db, *(["--as", who] if who else [])]
    result = runner.invoke(app, [*argv, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'rules.db'}"
    assert cli(url, "db", "upgrade", who=None)[0] == 0
    assert cli(url, "agent", "add", "admin", "--name", "Admin", "--role", "admin",
               who=None)[0] == 0
    assert cli(url, "agent", "add", "maria", "--name", "María", "--role", "supervisor",
               who="admin")[0] == 0
    assert cli(url, "agent", "add", "ana", "--name", "Ana", who="admin")[0] == 0
    assert cli(url, "queue", "add", "billing", "--area", "billing", "--members", "ana",
               who="admin")[0] == 0
    return url


def test_load_list_test_move_disable(db: str, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    code, out, err = cli(db, "rules", "load", str(path))
    assert code == 0, err
    assert "replaced" in out and "2 rules (0 removed)" in out
    code, out, _ = cli(db, "--json", "rules", "list")
    listed = json.loads(out)
    assert [(r["position"], r["name"], r["when"]) for r in listed] == [
        (1, "vip", "tier VIP"), (2, "facturas", "keyword factura or cobro")]
    code, out, _ = cli(db, "rules", "test", "--subject", "Error en la FACTURACIÓN",
                       "--tier", "standard")
    assert code == 0
    assert "✗ rule 1 'vip': tier is standard, not vip" in out
    assert "→ rule 2 'facturas': keyword 'factura'" in out
    assert "routes to queue billing by rule 2 'facturas'" in out
    code, out, _ = cli(db, "rules", "test", "--subject", "hola", "--json")
    verdicts = json.loads(out)
    assert [v["routes"] for v in verdicts] == [False, False]
    assert verdicts[0]["why"] == "tier is not known, not vip"
    code, out, _ = cli(db, "rules", "move", "facturas", "--to", "1")
    assert (code, out.strip()) == (0, "rule 'facturas' is now rule 1 of 2")
    code, out, _ = cli(db, "rules", "disable", "vip")
    assert (code, out.strip()) == (0, "rule 'vip' disabled")
    code, out, _ = cli(db, "--json", "rules", "list")
    assert [(r["name"], r["active"]) for r in json.loads(out)] == [
        ("facturas", True), ("vip", False)]
    assert cli(db, "rules", "enable", "vip")[0] == 0


def test_a_case_created_from_the_cli_routes_and_show_says_why(db: str, tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules:\n  - name: facturas\n    queue: billing\n    set_priority: high\n"
                    "    when: {keywords: [factura]}\n", encoding="utf-8")
    assert cli(db, "rules", "load", str(path))[0] == 0
    code, out, err = cli(db, "case", "create", "-t", "Factura duplicada", who="ana")
    assert code == 0, err
    assert "queue billing" in out
    code, out, _ = cli(db, "--json", "case", "show", "CS-000001", who="ana")
    shown = json.loads(out)
    assert shown["priority"] == "high"
    created = shown["timeline"][0]
    assert "rule 1 “facturas”: keyword “factura”; priority medium → high" in created["text"]
    assert created["data"]["routing"]["rule_name"] == "facturas"
    code, out, _ = cli(db, "case", "show", "CS-000001", who="ana")
    assert "“facturas”" in out and "waits in queue billing" in out


@pytest.mark.parametrize(("args", "text", "exit_code", "message"), [
    (("rules", "load", "{path}"), "[[rule]]\nname = 'x'\nqueue = 'nowhere'\n", 1,
     "casedesk: rule 'x': queue: no queue 'nowhere'"),
    (("rules", "load", "{path}"), "[[rule]]\nname = 'x'\nqueue = 'billing'\nwhen = {tier=1}\n",
     1, "casedesk: rule 'x': when.tier: expected text, not 1"),
    (("rules", "load", "{path}"), "[[rule]\n", 1, "not valid TOML"),
    (("rules", "load", "{path}/missing.toml"), "", 1, "cannot read"),
    (("rules", "move", "nada", "--to", "1"), "", 1, "casedesk: no routing rule 'nada'"),
    (("rules", "move", "x", "--to", "0"), "", 1, "--to '0' is out of range"),
    (("rules", "test", "--tier", "platinum"), "", 2, "'platinum' is not one of"),
])
def test_errors_are_one_line(db: str, tmp_path: Path, args: tuple[str, ...], text: str,
                             exit_code: int, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    argv = [a.replace("{path}", str(path)) for a in args]
    code, out, err = cli(db, *argv)
    assert code == exit_code
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_only_supervisors_change_rules(db: str, tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(RULES, encoding="utf-8")
    code, _, err = cli(db, "rules", "load", str(path), who="ana")
    assert code == 1 and "only supervisors may change routing rules" in err
    assert cli(db, "rules", "list", who="ana")[0] == 0  # reading them is for everyone
