"""``casedesk batch`` (issue 15, point 8): commands on standard input, one result line each,
a bad line never stopping the others, hostile input shown harmlessly."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.cli.batch import MAX_LINE

runner = CliRunner()


def batch(db: str, text: str | bytes, *flags: str, who: str = "maria"
          ) -> tuple[int, list[str], str]:
    result = runner.invoke(app, ["--db", db, "--as", who, "batch", *flags], input=text)
    return result.exit_code, result.stdout.splitlines(), result.stderr


def show(db: str, number: str) -> dict[str, Any]:
    result = runner.invoke(app, ["--db", db, "--json", "case", "show", number])
    assert result.exit_code == 0, result.stderr
    case: dict[str, Any] = json.loads(result.stdout)
    return case


@pytest.fixture
def seeded(db_url: str) -> str:
    result = runner.invoke(app, ["--db", db_url, "demo", "--cases", "5", "--seed", "3"])
    assert result.exit_code == 0, result.stderr
    return db_url


def _queued(db: str) -> str:
    result = runner.invoke(app, ["--db", db, "--as", "maria", "--json", "case", "create",
                                 "--title", "Sin tono", "--queue", "technical"])
    assert result.exit_code == 0, result.stderr
    return str(json.loads(result.stdout)["label"])


def test_one_result_line_per_command_and_the_worst_exit_code(seeded: str) -> None:
    number = _queued(seeded)
    code, lines, _ = batch(seeded, (
        f"case show {number} --no-history\n"
        "\n"
        "# a comment is skipped\n"
        f"case note {number} 'llamó otra vez, sin respuesta'\n"
        "case show CS-999999\n"
        "case frobnicate 1\n"
        f"case show {number}\n"
    ))
    assert code == 2  # a usage error is the worst
    assert len(lines) == 5
    assert lines[0].startswith("ok: case ") and number in lines[0]
    assert lines[1] == f"ok: {number}: note added"
    assert lines[2] == "error (exit 1): no case CS-999999"
    assert lines[3].startswith("error (exit 2): No such command 'frobnicate'")
    assert lines[4].startswith("ok: ")
    assert any("llamó otra vez" in e["text"] for e in show(seeded, number)["timeline"])


def test_exit_1_when_something_was_refused_and_0_when_all_went_well(seeded: str) -> None:
    code, lines, _ = batch(seeded, "case show CS-000001\ncase show CS-999999\n")
    assert code == 1 and lines[1].startswith("error (exit 1)")
    code, lines, _ = batch(seeded, "case show CS-000001\nagent list\n")
    assert code == 0 and all(line.startswith("ok: ") for line in lines)
    code, lines, _ = batch(seeded, "")
    assert code == 0 and lines == []


def test_json_is_one_object_a_line_with_the_commands_own_json(seeded: str) -> None:
    number = _queued(seeded)
    code, lines, _ = batch(seeded, f"case accept {number}\n\ncase show CS-999999\n"
                                   f"case show {number}\n", "--json")
    assert code == 1
    results = [json.loads(line) for line in lines]
    assert [r["line"] for r in results] == [1, 3, 4]
    accepted, missing, shown = results
    assert accepted["ok"] and accepted["exit"] == 0 and accepted["output"]["owner"] == "maria"
    assert missing == {"line": 3, "ok": False, "exit": 1, "error": "no case CS-999999"}
    assert shown["output"] == show(seeded, number)
    result = runner.invoke(app, ["--db", seeded, "--json", "batch"], input="agent list\n")
    assert json.loads(result.stdout)["output"][0]["login"]


def test_stop_on_error_stops_at_the_first_failure(seeded: str) -> None:
    number = _queued(seeded)
    code, lines, _ = batch(seeded, f"case show CS-999999\ncase accept {number}\n",
                           "--stop-on-error")
    assert code == 1 and len(lines) == 1
    assert show(seeded, number)["owner"] is None  # the second line never ran


def test_hostile_lines_are_refused_one_by_one(seeded: str) -> None:
    code, lines, _ = batch(seeded, (
        "case note 1 \"unclosed\n"
        "--json\n"
        "--db sqlite:///x.db --as maria\n"
        "batch\n"
        "case note 1 'a\x00b'\n"
        + "case note 1 " + "x" * (MAX_LINE + 10) + "\n"
        "agent list\n"
    ))
    assert code == 2
    assert len(lines) == 7, lines[:3]
    assert "No closing quotation" in lines[0] and lines[0].startswith("error (exit 2)")
    assert "names no command" in lines[1] and "names no command" in lines[2]
    assert lines[3] == "error (exit 2): a batch cannot run another batch"
    assert "NUL" in lines[4]
    assert "is too long" in lines[5] and len(lines[5]) < 200
    assert lines[6].startswith("ok: ")


def test_bytes_that_are_not_utf8_are_one_refused_line(seeded: str) -> None:
    code, lines, _ = batch(seeded, b"case note 1 caf\xe9\ncase show CS-000001 --no-history\n")
    assert code == 2
    assert lines[0].startswith("error (exit 2)") and "not valid text" in lines[0]
    assert lines[1].startswith("ok: ")


def test_markup_and_controls_reach_the_case_literally_and_the_screen_harmlessly(seeded: str
                                                                                ) -> None:
    number = _queued(seeded)
    hostile = "[bold red]x[/] \x1b[2J\x1b]0;pwned\x07 \u202etxt"
    code, lines, _ = batch(seeded, f"case note {number} {shlex.quote(hostile)}\n"
                                   f"case show {number}\n")
    assert code == 0, lines
    assert all("\x1b" not in line and "\x07" not in line for line in lines)
    assert "␛" in lines[1] and "[bold red]x[/]" in lines[1]
    assert any(e["text"].endswith(" " + hostile) for e in show(seeded, number)["timeline"])


def test_a_long_note_is_the_commands_own_refusal_and_the_batch_goes_on(seeded: str) -> None:
    code, lines, _ = batch(seeded, "case note 1 " + "y" * 200_000 + "\nagent list\n")
    assert lines[1].startswith("ok: ")
    assert code in (0, 1) and len(lines) == 2
    assert len(lines[0]) < 5_000  # the result line is bounded even when the note is not


def test_a_command_that_reads_standard_input_does_not_eat_the_next_lines(seeded: str) -> None:
    code, lines, _ = batch(seeded, "agent passwd maria --password-stdin\n"
                                   "case show CS-000001 --no-history\n", who="admin")
    assert len(lines) == 2 and lines[1].startswith("ok: ")


def test_help_inside_a_batch_is_a_result_too(seeded: str) -> None:
    code, lines, _ = batch(seeded, "case show --help\n")
    assert code == 0 and len(lines) == 1 and "Show a case" in lines[0]


def test_a_real_pipe_gets_each_result_as_soon_as_it_is_done(sqlite_template: Path,
                                                            tmp_path: Path) -> None:
    """The results come line by line (a script may write the next command after reading
    the last result)."""
    db = tmp_path / "pipe.db"
    db.write_bytes(sqlite_template.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env["CASEDESK_CONFIG_DIR"] = str(tmp_path / "config")
    process = subprocess.Popen(
        [sys.executable, "-m", "casedesk", "--db", f"sqlite:///{db}", "batch"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("agent add ana --name 'Ana Ruiz' --role admin\n")
    process.stdin.flush()
    first = process.stdout.readline()  # before the input is closed
    assert first == "ok: agent ana (Ana Ruiz, admin) added\n"
    process.stdin.write("agent list --json\n")
    process.stdin.close()
    second = process.stdout.readline()
    assert second.startswith("ok: [{") and '"ana"' in second
    assert process.wait(timeout=60) == 0


def test_on_a_terminal_the_result_lines_carry_no_colour_codes(sqlite_template: Path,
                                                               tmp_path: Path) -> None:
    """The commands' own colours (chosen for the batch's terminal) never reach a result."""
    import pty

    db = tmp_path / "tty.db"
    db.write_bytes(sqlite_template.read_bytes())
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env.update(CASEDESK_CONFIG_DIR=str(tmp_path / "config"), TERM="xterm-256color",
               COLUMNS="120")
    env.pop("NO_COLOR", None)
    master, slave = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "casedesk", "--db", f"sqlite:///{db}", "batch"],
            input=b"agent add ana --name Ana --role admin\nagent list\n", stdout=slave,
            stderr=subprocess.PIPE, env=env, timeout=60,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the pty is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    text = b"".join(chunks).decode()
    assert done.returncode == 0, done.stderr
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 2 and lines[1].startswith("ok: ") and "ana" in lines[1]
    assert "\x1b" not in text and "␛" not in text
