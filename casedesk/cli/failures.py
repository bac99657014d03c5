"""The one line (and exit code) a user sees for an error the program expects."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from casedesk.errors import CaseDeskError


def failure_line(exc: BaseException) -> tuple[str, int] | None:
    """``("casedesk: …", exit code)`` for casedesk and database errors, else None."""
    if isinstance(exc, CaseDeskError):
        return f"casedesk: {exc}", exc.exit_code
    if isinstance(exc, DBAPIError):
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        return f"casedesk: database error: {first}", 2
    return None
