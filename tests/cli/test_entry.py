"""The console-script entry: ``casedesk`` alone opens the workstation without the typer tree,
and its failures are one line and an exit code like every other command's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from casedesk.cli import workstation_flags
from casedesk.db import SCHEMA_HEAD


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], {}),
        (["--db", "sqlite:///x.db"], {"db": "sqlite:///x.db"}),
        (["--db=sqlite:///x.db", "--as", "maria"], {"db": "sqlite:///x.db", "as": "maria"}),
        (["--as=maria"], {"as": "maria"}),
        (["--help"], None),
        (["case", "list"], None),
        (["--db"], None),
        (["--db", "--as", "maria"], None),
        (["--db", "a", "--db", "b"], None),
        (["--as", "maria", "case", "show", "1"], None),
    ],
)
def test_workstation_flags(argv: list[str], expected: dict[str, str] | None) -> None:
    assert workstation_flags(argv) == expected


def _casedesk(*args: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env["CASEDESK_CONFIG_DIR"] = str(tmp_path / "config")
    env["CASEDESK_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "casedesk", *args],
        capture_output=True, text=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )


def test_bad_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = _casedesk("--db", "nosuchdb://somewhere/x", tmp_path=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casedesk: "), done.stderr
    assert "nosuchdb" in lines[0]
    assert "Traceback" not in done.stderr


def test_database_without_schema_says_upgrade(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    done = _casedesk(f"--db=sqlite:///{empty}", "--as", "maria", tmp_path=tmp_path)
    assert done.returncode == 2
    assert "casedesk db upgrade" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_other_arguments_go_to_the_typer_cli(tmp_path: Path) -> None:
    done = _casedesk("--db", f"sqlite:///{tmp_path / 'x.db'}", "db", "upgrade", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    again = _casedesk("--db", f"sqlite:///{tmp_path / 'x.db'}", "db", "info", tmp_path=tmp_path)
    assert again.returncode == 0 and SCHEMA_HEAD in again.stdout


def test_the_workstation_on_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "casedesk.db"
    done = _casedesk(f"--db=sqlite:///{missing}", "--as", "maria", tmp_path=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"casedesk: no database at {missing} — run `casedesk db upgrade` to create one")
    assert not (tmp_path / "typo").exists()


def test_real_argv_bytes_that_are_not_utf8_are_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "casedesk", "case", "list", "--search", b"caf\xe9"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        env={**os.environ, "CASEDESK_CONFIG_DIR": str(tmp_path), "LC_ALL": "C.UTF-8"},
    )
    assert done.returncode == 2
    assert "is not valid text" in done.stderr and "Traceback" not in done.stderr


def test_an_unexpected_error_is_one_line_unless_debugging(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    import casedesk.cli as cli_module
    import casedesk.cli.root as root

    def broken() -> None:
        raise TypeError("a bug \x1b[2J")

    monkeypatch.setattr(root, "app", broken)
    monkeypatch.setattr(sys, "argv", ["casedesk", "case", "list"])
    with pytest.raises(SystemExit) as stopped:
        cli_module.main()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("casedesk: unexpected error (TypeError: a bug ␛[2J)")
    assert len(err.splitlines()) == 1
    monkeypatch.setenv("CASEDESK_DEBUG", "1")
    with pytest.raises(TypeError):
        cli_module.main()
