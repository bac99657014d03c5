"""The typer command line: thin — parse, call services, print with rich.

``casedesk`` alone (or with only ``--db``/``--as``) opens the workstation without building
the typer command tree: the sub-commands' modules (imports, exports, SLA tools …) are not
needed to show the first screen, and loading them costs about a third of a second.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

_GLOBAL_FLAGS = {"--db": "db", "--as": "as"}


def workstation_flags(argv: list[str]) -> dict[str, str] | None:
    """``{"db": …, "as": …}`` when ``argv`` holds only the global flags that open the
    workstation; None when anything else is there (the typer CLI parses it)."""
    flags: dict[str, str] = {}
    items = iter(argv)
    for item in items:
        name, eq, value = item.partition("=")
        key = _GLOBAL_FLAGS.get(name)
        if key is None or key in flags:
            return None
        if not eq:
            value = next(items, "")
        if not value or value.startswith("-"):
            return None
        flags[key] = value
    return flags


def open_workstation(flags: dict[str, str]) -> int:
    """Open the workstation; an expected error becomes one line and an exit code."""
    from casedesk.cli.state import CliState, err_console
    from casedesk.cli.workstation import launch
    from casedesk.failures import failure_line

    state = CliState(db_flag=flags.get("db"), as_flag=flags.get("as"))
    try:
        launch(state)
    except Exception as exc:
        failure = failure_line(exc)
        if failure is None:
            raise
        err_console.print(failure[0], markup=False)
        return failure[1]
    finally:
        state.close()
    return 0


def take_language(argv: list[str]) -> tuple[list[str], str | None]:
    """``argv`` without its ``--lang CODE`` / ``--lang=CODE`` (anywhere before ``--``: a
    global flag), and the code given (the last one wins)."""
    rest: list[str] = []
    code: str | None = None
    items = iter(argv)
    for item in items:
        if item == "--":
            rest.append(item)
            rest.extend(items)
            break
        if item == "--lang":
            code = next(items, "")
        elif item.startswith("--lang="):
            code = item.partition("=")[2]
        else:
            rest.append(item)
    return rest, code


def start_language(flag: str | None) -> None:
    """Speak the language asked for (see :mod:`casedesk.i18n`) before any help text is
    built; a wrong ``--lang`` or config file is one line and exit 2."""
    from casedesk.config import read_config_file
    from casedesk.errors import CaseDeskError
    from casedesk.i18n import ENV_LANG, choose_language, set_language

    try:
        code = choose_language(flag, read_config_file())
    except CaseDeskError as exc:
        sys.stderr.write(f"casedesk: {exc}\n")
        raise SystemExit(2) from None
    set_language(code)
    if flag is not None:
        os.environ[ENV_LANG] = code  # the settings, the workstation, a child process agree


def main() -> None:
    """Console-script entry point: a resident process runs the command when one can
    (:mod:`casedesk.cli.resident`), else this one does."""
    from casedesk.cli.resident import hand_over

    code = hand_over(sys.argv[1:])
    if code is not None:
        raise SystemExit(code)
    run()


def run() -> None:
    """The command line of ``sys.argv``, in this process."""
    argv, lang = take_language(sys.argv[1:])
    start_language(lang)
    sys.argv[1:] = argv
    flags = workstation_flags(argv)
    if flags is not None:
        raise SystemExit(open_workstation(flags))
    if "receive" in argv:  # an MTA's pipe: a running worker stores it (casedesk.cli.mailgate)
        from casedesk.cli.mailgate import try_gate

        code = try_gate(argv)
        if code is not None:
            raise SystemExit(code)
    from casedesk.cli.root import app as root_app

    try:
        root_app()
    except Exception as exc:
        # A bug (every expected error is a one-line CaseDeskError already): the user still
        # gets one line, not a traceback; CASEDESK_DEBUG=1 shows it. The tests drive the
        # typer app directly, so this net never hides a bug from them.
        if os.environ.get("CASEDESK_DEBUG"):
            raise
        from casedesk.i18n import _
        from casedesk.textsafe import one_line

        sys.stderr.write(one_line("casedesk: " + _(
            "unexpected error ({error}); this is a bug — run again with CASEDESK_DEBUG=1 to "
            "see where").format(error=f"{type(exc).__name__}: {exc}")
        )[:2000] + "\n")
        raise SystemExit(1) from None


def __getattr__(name: str) -> Any:
    if name == "app":
        from casedesk.cli.root import app as root_app

        return root_app
    raise AttributeError(name)


app: typer.Typer

__all__ = ["app", "main", "run"]
