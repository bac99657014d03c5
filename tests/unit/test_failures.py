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


def test_a_server_that_cannot_be_reached_says_nothing_was_done() -> None:
    orig = psycopg.OperationalError(
        'connection failed: connection to server at "127.0.0.1", port 5 failed: '
        "Connection refused\n\tIs the server running on that host?")
    failure = describe(DBAPIError("SELECT", {}, orig, connection_invalidated=True))
    assert failure is not None and failure.exit_code == 2
    assert failure.message.startswith("the database server cannot be reached (connection "
                                      "failed: ")
    assert "nothing was done" in failure.message and "\n" not in failure.message


def test_a_connection_lost_mid_way_says_it_may_have_been_saved() -> None:
    orig = psycopg.errors.AdminShutdown(
        "terminating connection due to administrator command")
    failure = describe(DBAPIError("UPDATE", {}, orig))
    assert failure is not None and failure.exit_code == 2
    assert failure.message.startswith("the connection to the database was lost")
    assert "may or may not have been saved" in failure.message
    closed = psycopg.OperationalError("consuming input failed: server closed the connection "
                                      "unexpectedly")
    lost = describe(DBAPIError("UPDATE", {}, closed, connection_invalidated=True))
    assert lost is not None and "was lost" in lost.message


def test_a_locked_sqlite_file_is_not_an_outage() -> None:
    import sqlite3

    failure = describe(DBAPIError("BEGIN", {}, sqlite3.OperationalError("database is locked")))
    assert failure is not None and failure.message == "database error: database is locked"
