"""The one line (and exit code) a user sees for an error the program expects."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError

from casedesk.db import is_damage
from casedesk.errors import CaseDeskError
from casedesk.textsafe import one_line


def failure_line(exc: BaseException) -> tuple[str, int] | None:
    """``("casedesk: …", exit code)`` for casedesk and database errors, else None.

    The line quotes input (names, titles, paths): it is one line with every terminal
    control shown visibly; print it with ``markup=False``.
    """
    if isinstance(exc, CaseDeskError):
        return one_line(f"casedesk: {exc}"), exc.exit_code
    if isinstance(exc, DBAPIError):
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        if is_damage(exc):  # SQLite met a damaged page the check on open did not read
            return one_line(
                f"casedesk: the database file is damaged: {first}; nothing was saved — run "
                "`casedesk db check` and restore it from a backup"
            ), 2
        if isinstance(exc, DataError):  # SQLSTATE 22: a value the database cannot take
            return one_line(f"casedesk: the database refused a value: {first}"), 1
        return one_line(f"casedesk: database error: {first}"), 2
    return None
