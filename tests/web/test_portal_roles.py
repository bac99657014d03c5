"""Migration 0014 on PostgreSQL: the sign-in tables are the web's (admins') alone; quotes,
portal files and survey answers follow their case's row security."""

from __future__ import annotations

import psycopg
import pytest

from casedesk.services.portal import quotes
from tests.services.test_row_security import Floor, floor  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("floor")


def test_agents_never_read_sign_in_secrets(floor: Floor) -> None:  # noqa: F811
    for login in ("rls_ana", "rls_sup"):
        with floor.connect(login) as conn:
            for table in ("portal_link", "portal_session"):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"SELECT * FROM {table}")
    with floor.connect("rls_admin") as conn:  # the web's own admin login may
        assert conn.execute("SELECT count(*) FROM portal_link").fetchone() == (0,)


def test_quotes_follow_their_case(floor: Floor) -> None:  # noqa: F811
    desk = floor.desk_as("rls_ana")
    try:
        quote = quotes.add_quote(desk, desk.actor("rls_ana"), floor.desk_bin, "50")
    finally:
        desk.engine.dispose()
    with floor.connect("rls_luis") as conn:  # same team: sees it
        assert conn.execute("SELECT id FROM quote").fetchall() == [(quote.id,)]
    with floor.connect("rls_pia") as conn:  # the partner's agent: nothing
        assert conn.execute("SELECT count(*) FROM quote").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM survey_answer").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO quote (case_id, amount_cents, currency, status, "
                         "created_at) VALUES (%s, 1, 'EUR', 'pending', now())",
                         (floor.case_id(floor.desk_open),))
