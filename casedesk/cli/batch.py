"""``casedesk batch``: many commands in one process, read from standard input.

One command a line, quoted as a shell would (``case note 12 "rang back, no answer"``),
written as on the command line without the leading ``casedesk``; blank lines and lines
starting with ``#`` are skipped. Each command prints exactly one result line:

- ``ok: <what the command printed, on one line>``
- ``error (exit N): <the one-line error>``

With ``--json`` each result is one JSON object on its own line: ``{"line": 3, "ok": true,
"exit": 0, "output": <the command's own JSON>}`` or ``{"line": 4, "ok": false, "exit": 1,
"error": "…"}``. A bad line never stops the batch unless ``--stop-on-error``; the exit
status is 0 when every command succeeded, 2 when any was a usage error, else 1.

The process, the loaded modules and the database connection are shared by every line,
so a command costs its own work (milliseconds) instead of a program start.
"""

from __future__ import annotations

import io
import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any, BinaryIO

import typer

from casedesk import jsonsafe
from casedesk.cli import take_language
from casedesk.cli.params import argv_problem
from casedesk.cli.state import CliState
from casedesk.errors import CaseDeskError
from casedesk.i18n import _, choose_language, language, set_language
from casedesk.textsafe import one_line

#: A line longer than this is refused without being parsed (a real command line is shorter).
MAX_LINE = 1_000_000
#: How much of a command's output goes into its text result line.
MAX_SHOWN = 4_000
_FLAGS_WITH_VALUE = ("--db", "--as")


@dataclass(frozen=True)
class Result:
    """What one line did: its exit code and its one line of output or error."""

    line: int
    code: int
    text: str
    output: Any = None  # the command's JSON (with --json)

    def as_text(self) -> str:
        if self.code == 0:
            return _("ok: {output}").format(output=self.text) if self.text else _("ok")
        return _("error (exit {code}): {error}").format(code=self.code, error=self.text)

    def as_json(self) -> str:
        if self.code == 0:
            body: dict[str, Any] = {"line": self.line, "ok": True, "exit": 0,
                                    "output": self.output}
            if self.output is None and self.text:
                body["text"] = self.text
        else:
            body = {"line": self.line, "ok": False, "exit": self.code, "error": self.text}
        return jsonsafe.dumps(body)


HELP = _(
    "Run commands read from standard input, one a line, in this one process.\n"
    "\n"
    "Each line is a command as typed after `casedesk` (shell quoting); each prints "
    "one result line, `ok: …` or `error (exit N): …` (--json: one JSON object a "
    "line).\n"
    "\n"
    "Exit status: 0 all succeeded, 1 some were refused, 2 some were usage errors."
)


def batch(
    ctx: typer.Context,
    stop_on_error: bool = typer.Option(
        False, "--stop-on-error", help=_("Stop at the first command that fails.")
    ),
) -> None:
    outer: CliState = ctx.obj
    root = ctx.find_root().command
    pool: dict[tuple[str, bool], Any] = {}
    worst = 0
    try:
        for number, raw in _lines(sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None):
            result = run_line(root, outer, pool, number, raw)
            if result is None:
                continue
            sys.stdout.write((result.as_json() if outer.json else result.as_text()) + "\n")
            sys.stdout.flush()
            if result.code:
                worst = 2 if 2 in (worst, result.code) else 1
                if stop_on_error:
                    break
    finally:
        for desk in pool.values():
            desk.engine.dispose()
    if worst:
        raise typer.Exit(worst)


def _lines(stream: BinaryIO | None) -> Iterator[tuple[int, str]]:
    """Numbered lines of standard input, as text (bytes that are not UTF-8 kept as lone
    surrogates, which the argument check then refuses by line)."""
    if stream is None:
        return
    for number, data in enumerate(stream, 1):
        yield number, data.decode("utf-8", "surrogateescape").rstrip("\r\n")


def run_line(root: Any, outer: CliState, pool: dict[tuple[str, bool], Any], number: int,
             raw: str) -> Result | None:
    """Parse and run one line; None for a blank line or a comment."""
    if len(raw) > MAX_LINE:
        return Result(number, 2, _("line {line} is too long ({length} characters; at most "
                                   "{most})").format(line=number, length=f"{len(raw):,}",
                                                     most=f"{MAX_LINE:,}"))
    if not raw.strip() or raw.lstrip().startswith("#"):
        return None
    try:
        argv = shlex.split(raw)
    except ValueError as exc:
        return Result(number, 2, one_line(_(
            "line {line} cannot be read: {error} (quote as a shell would)").format(
            line=number, error=exc)))
    problem = argv_problem(argv)
    if problem is not None:
        return Result(number, 2, problem.removeprefix("casedesk: "))
    argv, lang = take_language(argv)
    if lang is not None:  # this line only, in that language
        try:
            code = choose_language(lang, environ={})
        except CaseDeskError as exc:
            return Result(number, 2, one_line(str(exc)))
        before = language()
        set_language(code)
        try:
            return _run_line(root, outer, pool, number, argv)
        finally:
            set_language(before)
    return _run_line(root, outer, pool, number, argv)


def _run_line(root: Any, outer: CliState, pool: dict[tuple[str, bool], Any], number: int,
              argv: list[str]) -> Result:
    command = _command_name(argv)
    if command is None:
        return Result(number, 2, _("line {line} names no command (the workstation does not "
                                   "open from a batch)").format(line=number))
    if command == "batch":
        return Result(number, 2, _("a batch cannot run another batch"))
    state = CliState(db_flag=outer.db_flag, as_flag=outer.as_flag, json=outer.json,
                     clock=outer.clock, pool=pool)
    code, out, err = _run(root, argv, state)
    if code == 0:
        return _success(number, out, json_wanted=outer.json)
    lines = [line for line in err.splitlines() if line.strip()]
    message = lines[-1] if lines else (one_line(out)[:MAX_SHOWN] or _("failed"))
    return Result(number, code, one_line(message.removeprefix("casedesk: ")))


def _command_name(argv: list[str]) -> str | None:
    """The first word that is not a global flag (or its value)."""
    items = iter(argv)
    for item in items:
        if item in _FLAGS_WITH_VALUE:
            next(items, None)
        elif item == "--json" or item.startswith(tuple(f + "=" for f in _FLAGS_WITH_VALUE)):
            continue
        else:
            return item
    return None


def _run(root: Any, argv: list[str], state: CliState) -> tuple[int, str, str]:
    """Run one command with its own stdout and stderr captured; nothing it does can read
    the batch's standard input."""
    from casedesk.cli.state import console, err_console

    out, err = io.StringIO(), io.StringIO()
    # Colours chosen for the batch's own terminal would come back as escape codes in the
    # captured text: plain text while capturing, and wide (rich has no public switch for
    # either; the width is put back as it was, usually "ask the terminal").
    saved_stdin, widths = sys.stdin, (console._width, err_console._width)
    colours = (console._color_system, err_console._color_system)
    sys.stdin = io.StringIO("")
    console.width = err_console.width = 200  # a table in a result line is not cut at 80
    console._color_system = err_console._color_system = None
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = root.main(args=argv, prog_name="casedesk", standalone_mode=False,
                                 obj=state)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except typer.Abort:
                code = 1
                err.write("casedesk: " + _("stopped: the command wanted to ask something, and "
                                           "a batch cannot answer") + "\n")
            except Exception as exc:  # a click error the group did not turn into a line
                code = getattr(exc, "exit_code", 1)
                err.write(one_line(f"casedesk: {type(exc).__name__}: {exc}")[:MAX_SHOWN] + "\n")
    finally:
        sys.stdin = saved_stdin
        console._width, err_console._width = widths
        console._color_system, err_console._color_system = colours
        state.close()
    return (code if isinstance(code, int) else 0), out.getvalue(), err.getvalue()


def _success(number: int, out: str, *, json_wanted: bool) -> Result:
    if json_wanted:
        try:
            return Result(number, 0, "", json.loads(out) if out.strip() else None)
        except ValueError:
            pass  # the command printed text (help, a summary): keep it as text
    shown = " | ".join(line.strip() for line in out.splitlines() if line.strip())
    shown = one_line(shown)
    if len(shown) > MAX_SHOWN:
        shown = shown[: MAX_SHOWN - 1] + "…"
    return Result(number, 0, shown)
