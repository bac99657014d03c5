"""The one line a person reads for an error the program expects, and its exit code.

Shared by the CLI (which prefixes ``casedesk:`` and exits with the code) and the
workstation (which shows the line in a notification or inside the dialog). The line quotes
input (names, titles, paths): it is one line with every terminal control shown visibly.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from casedesk.errors import CaseDeskError
from casedesk.i18n import _
from casedesk.textsafe import one_line


class Failure(NamedTuple):
    """What went wrong, in words, and the CLI's exit code for it."""

    message: str
    exit_code: int


def describe(exc: BaseException) -> Failure | None:
    """The :class:`Failure` for casedesk and database errors; None for anything else."""
    if isinstance(exc, CaseDeskError):
        return Failure(one_line(str(exc)), exc.exit_code)
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")  # not loaded: not a database error
    if sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError):
        from casedesk.db import is_damage

        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        if is_damage(exc):  # SQLite met a damaged page the check on open did not read
            return Failure(one_line(_(
                "the database file is damaged: {error}; nothing was saved — run "
                "`casedesk db check` and restore it from a backup"
            ).format(error=first)), 2)
        if isinstance(exc, sqlalchemy_exc.DataError):  # SQLSTATE 22: a value it cannot take
            return Failure(one_line(
                _("the database refused a value: {error}").format(error=first)), 1)
        outage = _outage(exc, orig, first)
        if outage is not None:
            return Failure(one_line(outage), 2)
        if getattr(orig, "sqlstate", None) == "42501":  # row security, a grant, a trigger
            return Failure(one_line(_(
                "not allowed: {error} (the database refused it for your role; nothing was "
                "saved)"
            ).format(error=first.removeprefix("ERROR:").strip())), 1)
        return Failure(one_line(_("database error: {error}").format(error=first)), 2)
    return None


#: SQLSTATEs of a server that is going or gone: 08 (connection exceptions), 57P01–03
#: (shut down by an administrator, crash shutdown, cannot connect now).
_GONE = ("08", "57P01", "57P02", "57P03")
#: Words of a driver that could not even connect (nothing was sent).
_NEVER_CONNECTED = ("connection failed", "connection refused", "could not connect",
                    "the database system is starting up", "the database system is shutting down")


def _outage(exc: BaseException, orig: BaseException, first: str) -> str | None:
    """The line for a server that cannot be reached or went away mid-way; None otherwise.
    Whether anything was done is said as it is known: never connected — nothing; lost
    mid-way — perhaps (the commit may have landed before the answer was lost)."""
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    gone = bool(getattr(exc, "connection_invalidated", False)) or sqlstate.startswith(_GONE)
    if not gone and type(orig).__name__ != "OperationalError":
        return None
    lowered = first.lower()
    if sqlstate == "57P03" or any(words in lowered for words in _NEVER_CONNECTED):
        return _("the database server cannot be reached ({error}); nothing was done — try "
                 "again in a moment").format(error=first)
    if gone:
        return _("the connection to the database was lost ({error}); it may or may not have "
                 "been saved — look before doing it again").format(error=first)
    return None


def failure_line(exc: BaseException) -> tuple[str, int] | None:
    """``("casedesk: …", exit code)`` for the CLI's stderr; None for unexpected errors."""
    failure = describe(exc)
    if failure is None:
        return None
    return f"casedesk: {failure.message}", failure.exit_code
