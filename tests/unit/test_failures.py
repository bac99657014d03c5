"""The one line a person reads for a database refusal."""

from __future__ import annotations

import psycopg
from sqlalchemy.exc import DBAPIError, ProgrammingError

from casedesk.failures import describe


def test_a_refusal_by_row_security_is_not_allowed_exit_1() -> None:
    orig = psycopg.errors.InsufficientPrivilege(
        "only a supervisor may give CS-000012 to another agent"
    )
    failure = describe(ProgrammingError("UPDATE case …", {}, orig))
    assert failure is not None and failure.exit_code == 1
    assert failure.message == (
        "not allowed: only a supervisor may give CS-000012 to another agent "
        "(the database refused it for your role; nothing was saved)"
    )


def test_other_database_errors_keep_their_line() -> None:
    orig = psycopg.errors.UndefinedTable("relation \x1b[31m\"x\" does not exist")
    failure = describe(DBAPIError("SELECT", {}, orig))
    assert failure is not None and failure.exit_code == 2
    assert failure.message.startswith("database error: relation ␛[31m")
