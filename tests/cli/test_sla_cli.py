"""``casedesk sla …`` and ``casedesk task …`` through typer's CliRunner (SQLite)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.services.sla.policy_files import DATA_DIR

runner = CliRunner()

YAML_POLICY = """
policy:
  - name: gold-billing
    position: 15
    calendar: madrid-office
    match: {tier: gold, queue: [billing]}
    first_response: 30m
    resolution: 1d
    escalation: {flag_supervisor: true}
"""


def cli(db: str, *args: str, who: str | None = None) -> tuple[int, str, str]:
    argv = ["--db", db, *(["--as", who] if who else [])]
    result = runner.invoke(app, [*argv, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'sla.db'}"
    assert cli(url, "db", "upgrade")[0] == 0
    return url


def test_first_setup_loads_without_an_actor_and_lists(db: str, tmp_path: Path) -> None:
    code, out, err = cli(db, "sla", "calendar", "load", str(DATA_DIR / "calendars.toml"))
    assert code == 0, err
    assert "0 policies and 3 calendars" in out
    code, out, err = cli(db, "sla", "policy", "load", str(DATA_DIR / "sla_policies.toml"))
    assert code == 0 and "4 policies" in out, err
    yaml_file = tmp_path / "gold.yaml"
    yaml_file.write_text(YAML_POLICY, encoding="utf-8")
    assert cli(db, "sla", "policy", "load", str(yaml_file))[0] == 0
    code, out, _ = cli(db, "--json", "sla", "policy", "list")
    policies = json.loads(out)
    assert [p["name"] for p in policies] == [
        "vip-critical",
        "gold-billing",
        "critical",
        "high",
        "standard",
    ]
    assert policies[1]["match"] == {"tier": "gold", "queue": ["billing"]}
    assert policies[1]["resolution"] == "1d" and policies[-1]["resolution"] == "40h"
    code, out, _ = cli(db, "sla", "policy", "list")
    assert code == 0 and "gold-billing" in out and "madrid-office" in out
    code, out, _ = cli(db, "sla", "calendar", "list")
    assert code == 0 and "Europe/Madrid" in out and "ES-MD" in out


def test_loading_needs_a_supervisor_once_there_are_agents(db: str, tmp_path: Path) -> None:
    policies = str(DATA_DIR / "sla_policies.toml")
    assert cli(db, "agent", "add", "admin", "--name", "Admin", "--role", "admin")[0] == 0
    assert cli(db, "agent", "add", "ana", "--name", "Ana", who="admin")[0] == 0
    code, _, err = cli(db, "sla", "calendar", "load", str(DATA_DIR / "calendars.toml"))
    assert code == 1 and "say who is acting" in err
    code, _, err = cli(db, "sla", "policy", "load", policies, who="ana")
    assert code == 1 and "only supervisors" in err
    assert cli(db, "sla", "calendar", "load", str(DATA_DIR / "calendars.toml"), who="admin")[0] == 0
    code, _, err = cli(db, "sla", "policy", "load", str(DATA_DIR / "calendars.toml"), who="admin")
    assert code == 1 and "no [[policy]] entries" in err
    bad = tmp_path / "bad.toml"
    bad.write_text('[[policy]]\nname = "x"\nfirst_response = "soon"\n', encoding="utf-8")
    code, _, err = cli(db, "sla", "policy", "load", str(bad), who="admin")
    assert code == 1 and "'soon' is not a duration" in err and "Traceback" not in err


def test_scan_explain_and_tasks(db: str) -> None:
    code, _, err = cli(db, "demo", "--cases", "30")
    assert code == 0, err
    code, out, err = cli(db, "sla", "scan", "--json")
    assert code == 0, err
    first = json.loads(out)
    assert set(first["counts"]) >= {"first_response_breach", "resolution_warning", "autoclosed"}
    code, out, _ = cli(db, "sla", "scan")
    assert code == 0 and out.startswith("sla scan: nothing to record")
    code, out, err = cli(db, "sla", "explain", "CS-000002")
    assert code == 0, err
    assert "policy" in out and "first response:" in out
    code, out, _ = cli(db, "--json", "sla", "explain", "2")
    assert json.loads(out)["case"] == "CS-000002"
    code, out, err = cli(
        db, "task", "add", "Llamar al cliente", "--case", "CS-000002", "--in", "2h", who="sofia"
    )
    assert code == 0 and "task 1 added on CS-000002" in out, err
    code, out, _ = cli(db, "--json", "task", "list", "--case", "CS-000002")
    (task,) = json.loads(out)
    assert task["title"] == "Llamar al cliente" and task["state"] == "ok"
    code, out, _ = cli(db, "task", "done", "1", who="sofia")
    assert code == 0 and "task 1 done (met)" in out
    code, out, _ = cli(db, "task", "list", "--mine", "--all", who="sofia")
    assert code == 0 and "Llamar al cliente" in out
