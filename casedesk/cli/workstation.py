"""Opening the Textual workstation from the command line."""

from __future__ import annotations

import sys
from typing import TextIO

from casedesk.cli.state import CliState
from casedesk.errors import ConfigError
from casedesk.i18n import N_, _

NO_TERMINAL = N_(
    "the workstation needs a terminal (standard input and output are not one here); "
    "scripts use the commands instead, e.g. `casedesk case list` or `casedesk batch`"
)


def is_terminal(stdin: TextIO | None = None, stdout: TextIO | None = None) -> bool:
    """Whether both standard input and output are a terminal a person can use."""
    streams = (stdin or sys.stdin, stdout or sys.stdout)
    try:
        return all(s is not None and s.isatty() for s in streams)
    except (AttributeError, ValueError, OSError):  # closed or replaced streams
        return False


def launch(state: CliState) -> None:
    """Open the agent workstation on the configured database as the configured agent.

    The database and the agent are checked first (their errors are the usual one line);
    then, with no terminal to draw on (a CI job, a pipe), one line and exit 2 instead of
    a full-screen app that cannot read keys.
    """
    from casedesk.app import build_workstation

    workstation = build_workstation(state)
    if not is_terminal():
        raise ConfigError(_(NO_TERMINAL))
    workstation.run()
