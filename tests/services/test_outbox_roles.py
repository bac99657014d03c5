"""Migration 0013 on PostgreSQL: who may queue, read and update the outbox (row security)."""

from __future__ import annotations

import psycopg
import pytest

from casedesk.db import write_session
from casedesk.services.mail import outbox
from tests.services.test_row_security import Floor, floor  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("floor")


def _queue_as(floor: Floor, login: str, number: int | None, kind: str = "reply") -> int:  # noqa: F811
    desk = floor.desk_as(login)
    try:
        with write_session(desk.engine) as s:
            row = outbox.enqueue(s, kind=kind, to="juan@example.com", subject="Hola",
                                 body="b", case_id=floor.case_id(number) if number else None,
                                 at=desk.now())
            assert row.id is not None
            return row.id
    finally:
        desk.engine.dispose()


def test_an_agent_queues_mail_for_cases_they_see_only(floor: Floor) -> None:  # noqa: F811
    mine = _queue_as(floor, "rls_ana", floor.desk_open)
    assert mine > 0
    with pytest.raises(Exception, match="no case with id"):
        _queue_as(floor, "rls_ana", floor.partner_open)  # another team's case
    with floor.connect("rls_ana") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO outbox (case_id, kind, to_address, subject, message_id, "
                     "created_at) VALUES (%s, 'reply', 'x@example.com', 's', '<x@y>', now())",
                     (floor.case_id(floor.partner_open),))
    with pytest.raises(Exception, match="row-level security"):
        _queue_as(floor, "rls_ana", None, kind="portal_link")  # a sign-in link is not hers


def test_sign_in_links_are_hidden_from_agents_and_updates_are_staff_only(
    floor: Floor,  # noqa: F811
) -> None:
    link = _queue_as(floor, "rls_sup", None, kind="portal_link")
    reply = _queue_as(floor, "rls_ana", floor.desk_open)
    with floor.connect("rls_ana") as conn:
        seen = {r[0] for r in conn.execute("SELECT id FROM outbox")}
        assert reply in seen and link not in seen
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE outbox SET status = 'delivered'")
    with floor.connect("rls_pia") as conn:  # the partner's agent sees none of the desk's mail
        assert conn.execute("SELECT count(*) FROM outbox").fetchone() == (0,)
    with floor.connect("rls_sup") as conn:
        assert conn.execute("UPDATE outbox SET attempts = 0").rowcount == 2
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM outbox")
