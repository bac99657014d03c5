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
        if getattr(orig, "sqlstate", None) == "42501":  # row security, a grant, a trigger
            return Failure(one_line(_(
                "not allowed: {error} (the database refused it for your role; nothing was "
                "saved)"
            ).format(error=first.removeprefix("ERROR:").strip())), 1)
        return Failure(one_line(_("database error: {error}").format(error=first)), 2)
    return None


def failure_line(exc: BaseException) -> tuple[str, int] | None:
    """``("casedesk: …", exit code)`` for the CLI's stderr; None for unexpected errors."""
    failure = describe(exc)
    if failure is None:
        return None
    return f"casedesk: {failure.message}", failure.exit_code
