"""The one line (and exit code) a user sees for an error the program expects."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError

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
        if isinstance(exc, DataError):  # SQLSTATE 22: a value the database cannot take
            return one_line(f"casedesk: the database refused a value: {first}"), 1
        return one_line(f"casedesk: database error: {first}"), 2
    return None
