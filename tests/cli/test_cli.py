"""The command line, through typer's CliRunner and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.db import head_revision, make_engine

runner = CliRunner()


def cli(db: str, *args: str, who: str | None = None) -> tuple[int, str, str]:
    argv = ["--db", db]
    if who:
        argv += ["--as", who]
    result = runner.invoke(app, [*argv, *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def seeded(db_url: str) -> str:
    code, out, err = cli(db_url, "demo", "--cases", "20")
    assert code == 0, err
    assert "demo data" in out
    return db_url


def test_db_upgrade_and_info(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, _ = cli(url, "db", "upgrade")
    assert code == 0 and f"empty → {head_revision()}" in out
    code, out, _ = cli(url, "db", "upgrade")
    assert code == 0 and "already at" in out
    code, out, _ = cli(url, "--json", "db", "info")
    info = json.loads(out)
    assert info["revision"] == info["head"] and info["counts"]["case"] == 0


def test_info_masks_password(pg_server) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.url.replace("postgres@", "postgres:s3cret@")
    code, out, _ = cli(url, "--json", "db", "info")
    assert code == 0
    assert "s3cret" not in out and "***" in json.loads(out)["url"]


def test_old_or_empty_database_says_what_to_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    code, _, err = cli(url, "case", "list")
    assert code == 2
    assert "run `casedesk db upgrade`" in err and "Traceback" not in err
    cli(url, "db", "upgrade")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    code, _, err = cli(url, "case", "list")
    assert code == 2 and "newer than this casedesk" in err


@pytest.mark.parametrize("url", ["nonsense", "mysql://x@y/z", "sqlite://",
                                 "postgresql://nobody@127.0.0.1:1/none"])
def test_bad_urls_one_line_exit_2(url: str) -> None:
    code, out, err = cli(url, "case", "list")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith("casedesk: ")


def test_workflow_through_cli(seeded: str) -> None:
    code, out, err = cli(seeded, "--json", "case", "create", "--title", "Sin tono",
                         "--queue", "technical", "--priority", "high", who="maria")
    assert code == 0, err
    number = json.loads(out)["label"]
    code, out, _ = cli(seeded, "case", "accept", number, who="carlos")
    assert code == 0 and "accepted" in out
    code, _, err = cli(seeded, "case", "accept", number, who="maria")
    assert code == 1 and "was taken by Carlos Martínez" in err
    code, _, err = cli(seeded, "case", "assign", number, "--to", "maria", who="carlos")
    assert code == 1 and "only supervisors" in err
    assert cli(seeded, "case", "assign", number, "--to", "maria", who="sofia")[0] == 0
    assert cli(seeded, "case", "start", number, who="maria")[0] == 0
    assert cli(seeded, "case", "wait", number, who="maria")[0] == 0
    assert cli(seeded, "case", "resume", number, who="maria")[0] == 0
    assert cli(seeded, "case", "note", number, "cliente llamado", who="maria")[0] == 0
    code, _, err = cli(seeded, "case", "close", number, who="maria")
    assert code == 1 and "cannot close" in err
    assert cli(seeded, "case", "resolve", number, "--type", "solved", "--notes", "ok",
               who="maria")[0] == 0
    assert cli(seeded, "case", "close", number, who="maria")[0] == 0
    code, out, _ = cli(seeded, "--json", "case", "show", number, who="maria")
    shown = json.loads(out)
    assert shown["status"] == "closed"
    assert [e["kind"] for e in shown["timeline"]][-3:] == ["note", "resolve", "close"]


def test_queue_ops_through_cli(seeded: str) -> None:
    code, out, _ = cli(seeded, "--json", "case", "next", "billing", who="lucia")
    assert code == 0
    number = json.loads(out)["label"]
    assert cli(seeded, "case", "dispatch", number, "--queue", "commercial", who="lucia")[0] == 0
    assert cli(seeded, "case", "transfer", number, "--queue", "billing", who="lucia")[0] == 0
    code, _, err = cli(seeded, "case", "reject", number, "--reason", "", who="lucia")
    assert code == 1 and "reason" in err
    code, out, _ = cli(seeded, "--json", "case", "list", "--queue", "billing", who="lucia")
    assert number in [r["label"] for r in json.loads(out)]
    code, out, _ = cli(seeded, "--json", "agent", "list")
    assert {"maria", "carlos", "sofia"} <= {a["login"] for a in json.loads(out)}
    code, out, _ = cli(seeded, "--json", "queue", "list")
    assert {"technical", "billing", "commercial"} <= {q["name"] for q in json.loads(out)}
    code, _, err = cli(seeded, "queue", "add", "vip", who="maria")
    assert code == 1 and "only supervisors" in err
    assert cli(seeded, "queue", "add", "vip", "--members", "maria", who="sofia")[0] == 0
    code, out, _ = cli(seeded, "queue", "members", "vip", "--add", "carlos", who="sofia")
    assert out.split() == ["carlos", "maria"]


def test_usage_errors_exit_2(seeded: str) -> None:
    code, _, err = cli(seeded, "case", "create", who="maria")
    assert code == 2 and "--title" in err
    code, _, err = cli(seeded, "case", "show", "not-a-number", who="maria")
    assert code == 1 and "not a case number" in err
    code, _, err = cli(seeded, "case", "list", "--mine", who="ghost")
    assert code == 1 and "no agent with login 'ghost'" in err


def test_config_file_and_env_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from casedesk.config import resolve_database_url, write_config_value

    write_config_value("database_url", "sqlite:///from-config.db")
    assert resolve_database_url() == "sqlite:///from-config.db"
    monkeypatch.setenv("CASEDESK_DATABASE_URL", "sqlite:///from-env.db")
    assert resolve_database_url() == "sqlite:///from-env.db"
    assert resolve_database_url("sqlite:///from-flag.db") == "sqlite:///from-flag.db"


def test_real_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "CASEDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
           "CASEDESK_AGENT": "maria"}
    exe = [sys.executable, "-m", "casedesk"]
    subprocess.run([*exe, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*exe, "demo", "--cases", "5"], env=env, check=True, capture_output=True)
    done = subprocess.run([*exe, "--json", "case", "list", "--mine"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert all(r["owner"] == "maria" for r in json.loads(done.stdout))
    bad = subprocess.run([*exe, "case", "accept", "CS-999999"], env=env, capture_output=True,
                         text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "casedesk: no case CS-999999"


def test_remembering_the_agent_keeps_config_tables() -> None:
    from casedesk.config import config_path, read_config_file, write_config_value

    config_path().parent.mkdir(parents=True, exist_ok=True)
    config_path().write_text('[keymap]\ngo-wip = "f9"\n', encoding="utf-8")
    write_config_value("agent", "maria")
    assert read_config_file() == {"agent": "maria", "keymap": {"go-wip": "f9"}}
