"""Issue 13: the database refuses what a role may not do (migration 0006), PostgreSQL only.

Each test builds a small floor as the owner (the superuser ran the migrations), then
connects as the agents' own login roles — with plain psycopg, as ``psql`` would, and
through casedesk (a ``Desk`` on an engine connected as that role). The suite's server
trusts local connections, so a role connects without a password. These tests take the
``pg_server`` fixture: in CI a missing server fails the run, it is never skipped.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from alembic import command
from psycopg import sql as pgsql
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from casedesk.clock import FrozenClock
from casedesk.db import alembic_config, make_engine, may_run_clock, upgrade
from casedesk.errors import NotFound
from casedesk.services.context import Desk
from casedesk.services.directory import customers, queue_setup, staff
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from tests.conftest import T0
from tests.pgroles import as_role, ensure_login_role, plain
from tests.pgserver import PgServer

#: login → role; fixed names, shared by every test and worker (roles are cluster-wide)
PEOPLE = {
    "rls_admin": "admin", "rls_sup": "supervisor", "rls_ana": "agent", "rls_luis": "agent",
    "rls_psup": "supervisor", "rls_pia": "agent", "rls_pedro": "agent",
}
PARTNER = ("rls_psup", "rls_pia", "rls_pedro")


@dataclass
class Floor:
    """The desk's own queue ``technical`` and the partner team's queue ``partner``."""

    url: str  # the owner's
    ids: dict[str, int]
    desk_open: int  # a case number in technical, nobody's
    desk_bin: int  # in technical, in rls_ana's bin
    partner_open: int
    partner_bin: int  # in rls_pia's bin
    juan: int  # the desk's customer
    paula: int  # the partner's customer

    def url_as(self, login: str) -> str:
        return as_role(self.url, login)

    def connect(self, login: str) -> psycopg.Connection[Any]:
        return psycopg.connect(plain(self.url_as(login)), autocommit=True)

    def desk_as(self, login: str) -> Desk:
        return Desk(make_engine(self.url_as(login)), FrozenClock(T0))

    def case_id(self, number: int) -> int:
        with psycopg.connect(plain(self.url)) as conn:
            row = conn.execute('SELECT id FROM "case" WHERE number = %s',
                               (number,)).fetchone()
        assert row is not None
        return int(row[0])


@pytest.fixture
def floor(pg_server: PgServer, pg_template: str) -> Iterator[Floor]:
    name = f"rls_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(plain(pg_server.admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    for login, role in PEOPLE.items():
        ensure_login_role(pg_server.admin_url, login, role)
    url = pg_server.url_for(name)
    engine = make_engine(url)
    desk = Desk(engine, FrozenClock(T0))
    staff.add_agent(desk, None, login="rls_admin", name="Admin", role="admin")
    admin = desk.actor("rls_admin")
    for login, role in PEOPLE.items():
        if login != "rls_admin":
            staff.add_agent(desk, admin, login=login, name=login, role=role)
    queue_setup.add_queue(desk, admin, name="technical", members=["rls_ana", "rls_luis",
                                                                  "rls_sup"])
    queue_setup.add_queue(desk, admin, name="partner", members=list(PARTNER))
    with engine.begin() as conn:
        team = conn.execute(text("INSERT INTO team (name) VALUES ('Partner') RETURNING id"))
        team_id = team.scalar_one()
        conn.execute(text("UPDATE queue SET team_id = :t WHERE name = 'partner'"), {"t": team_id})
        conn.execute(text("UPDATE agent SET team_id = :t WHERE login = ANY(:people)"),
                     {"t": team_id, "people": list(PARTNER)})
        ids = {login: i for login, i in conn.execute(text("SELECT login, id FROM agent"))}
    juan = customers.add_contact(desk, name="Juan Pérez", email="juan@example.com")
    paula = customers.add_contact(desk, name="Paula Sousa", email="paula@example.com")
    ana, pia = desk.actor("rls_ana"), desk.actor("rls_pia")
    desk_open = cases.create_case(desk, ana, title="Router", queue="technical",
                                  contact_id=juan).number
    desk_bin = cases.create_case(desk, ana, title="Line", queue="technical",
                                 contact_id=juan).number
    transitions.accept(desk, ana, desk_bin)
    partner_open = cases.create_case(desk, pia, title="Factura", queue="partner",
                                     contact_id=paula).number
    partner_bin = cases.create_case(desk, pia, title="Cobro", queue="partner",
                                    contact_id=paula).number
    transitions.accept(desk, pia, partner_bin)
    engine.dispose()
    yield Floor(url, ids, desk_open, desk_bin, partner_open, partner_bin, juan, paula)
    pg_server.drop_database(name)


def _number(number: int) -> int:
    return number


def _refused(conn: psycopg.Connection[Any], sql: str, *args: object) -> str:
    with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
        conn.execute(sql, args)
    return str(caught.value)


# --- owners: assign, yank, accept, dispatch -----------------------------------------


def test_an_agent_cannot_give_a_case_to_someone_else_even_from_psql(floor: Floor) -> None:
    luis = floor.ids["rls_luis"]
    with floor.connect("rls_ana") as conn:
        for label in (floor.desk_open, floor.desk_bin):
            message = _refused(conn, 'UPDATE "case" SET owner_id = %s WHERE number = %s',
                               luis, _number(label))
            assert "only a supervisor may give a case to another agent" in message
        # luis's bin is not hers to empty either
        conn.execute('UPDATE "case" SET owner_id = %s WHERE number = %s', (luis, 0))
    with floor.connect("rls_luis") as conn:
        message = _refused(conn, 'UPDATE "case" SET owner_id = NULL WHERE number = %s',
                           _number(floor.desk_bin))
        assert "out of another agent's bin" in message


def test_accept_and_dispatch_work_as_the_agent_through_casedesk(floor: Floor) -> None:
    desk = floor.desk_as("rls_ana")
    try:
        ana = desk.actor("rls_ana")
        assert transitions.accept(desk, ana, floor.desk_open).owner == "rls_ana"
        cases.add_note(desk, ana, floor.desk_open, "called back")
        cases.log_time(desk, ana, floor.desk_open, 5)
        assert transitions.dispatch(desk, ana, floor.desk_open).owner is None
        created = cases.create_case(desk, ana, title="New call", queue="technical",
                                    contact_id=floor.juan)
        assert created.queue == "technical"
    finally:
        desk.engine.dispose()
    with psycopg.connect(plain(floor.url)) as conn:
        rows = conn.execute(
            "SELECT kind, actor_id, via_id FROM case_event WHERE case_id = %s ORDER BY id",
            (floor.case_id(floor.desk_open),)).fetchall()
        versions = conn.execute(
            'SELECT count(*) FROM "case" c WHERE version <> '
            "(SELECT count(*) FROM case_event e WHERE e.case_id = c.id)").fetchone()
    ana_id = floor.ids["rls_ana"]
    assert [r[0] for r in rows][-4:] == ["accept", "note", "time", "dispatch"]
    assert {(r[1], r[2]) for r in rows[-4:]} == {(ana_id, None)}
    assert versions == (0,)


def test_a_supervisor_assigns_and_yanks_only_within_their_team(floor: Floor) -> None:
    ids = floor.ids
    with floor.connect("rls_sup") as conn:  # the desk's supervisor
        conn.execute('UPDATE "case" SET owner_id = %s WHERE number = %s',
                     (ids["rls_luis"], _number(floor.desk_open)))
        conn.execute('UPDATE "case" SET owner_id = NULL WHERE number = %s',
                     (_number(floor.desk_bin),))
        # the partner's cases are out of sight: nothing to change
        cur = conn.execute('UPDATE "case" SET owner_id = %s WHERE number = %s',
                           (ids["rls_luis"], _number(floor.partner_open)))
        assert cur.rowcount == 0
        message = _refused(conn, 'UPDATE "case" SET owner_id = %s WHERE number = %s',
                           ids["rls_pia"], _number(floor.desk_open))
        assert "only cases of agents in their own team" in message
    desk = floor.desk_as("rls_psup")  # the partner's supervisor, through casedesk
    try:
        psup = desk.actor("rls_psup")
        assert transitions.assign(desk, psup, floor.partner_open, "rls_pedro").owner == \
            "rls_pedro"
        assert transitions.yank(desk, psup, floor.partner_bin).owner is None
        with pytest.raises(DBAPIError, match="only cases of agents in their own team"):
            transitions.assign(desk, psup, floor.partner_open, "rls_ana")
    finally:
        desk.engine.dispose()


# --- events: append-only, in one's own name -------------------------------------------


def test_case_events_are_append_only_for_everyone_but_the_owner(floor: Floor) -> None:
    for login in ("rls_ana", "rls_sup", "rls_admin"):
        with floor.connect(login) as conn:
            _refused(conn, "DELETE FROM case_event")
            _refused(conn, "UPDATE case_event SET note = 'rewritten'")
            _refused(conn, "TRUNCATE case_event")
    with psycopg.connect(plain(floor.url), autocommit=True) as owner:
        assert owner.execute("DELETE FROM case_event WHERE kind = 'accept'").rowcount == 2


def test_nobody_but_an_admin_writes_an_event_in_another_agents_name(floor: Floor) -> None:
    case_id, ids = floor.case_id(floor.desk_bin), floor.ids
    insert = ("INSERT INTO case_event (case_id, at, actor_id, kind, via_id) "
              "VALUES (%s, now(), %s, 'note', %s) RETURNING via_id")
    with floor.connect("rls_ana") as conn:
        message = _refused(conn, insert, case_id, ids["rls_luis"], None)
        assert "may not write an event in the name of another agent" in message
        # her own name: fine, and she cannot claim someone else did it for her
        assert conn.execute(insert, (case_id, ids["rls_ana"], ids["rls_luis"])).fetchone() \
            == (None,)
    with floor.connect("rls_sup") as conn:
        _refused(conn, insert, case_id, ids["rls_ana"], None)
    with floor.connect("rls_admin") as conn:
        assert conn.execute(insert, (case_id, ids["rls_ana"], None)).fetchone() == \
            (ids["rls_admin"],)


def test_an_admin_acting_as_an_agent_is_recorded_on_every_event(floor: Floor) -> None:
    desk = floor.desk_as("rls_admin")
    try:
        ana = desk.actor("rls_ana")  # what `--as rls_ana` does on PostgreSQL
        cases.add_note(desk, ana, floor.desk_bin, "on her behalf")
        transitions.dispatch(desk, ana, floor.desk_bin)
    finally:
        desk.engine.dispose()
    with psycopg.connect(plain(floor.url)) as conn:
        rows = conn.execute(
            "SELECT kind, actor_id, via_id FROM case_event WHERE case_id = %s "
            "ORDER BY id DESC LIMIT 2", (floor.case_id(floor.desk_bin),)).fetchall()
    assert rows == [("dispatch", floor.ids["rls_ana"], floor.ids["rls_admin"]),
                    ("note", floor.ids["rls_ana"], floor.ids["rls_admin"])]


# --- teams kept apart -----------------------------------------------------------------


def _count(conn: psycopg.Connection[Any], sql: str, *args: object) -> int:
    row = conn.execute(sql, args).fetchone()
    assert row is not None
    return int(row[0])


def _seen(conn: psycopg.Connection[Any], numbers: list[int], contacts: list[int]
          ) -> dict[str, int]:
    return {
        "cases": _count(conn, 'SELECT count(*) FROM "case" WHERE number = ANY(%s)', numbers),
        "events": _count(conn, 'SELECT count(*) FROM case_event e JOIN "case" c '
                         "ON c.id = e.case_id WHERE c.number = ANY(%s)", numbers),
        "all_events": _count(conn, "SELECT count(*) FROM case_event"),
        "contacts": _count(conn, "SELECT count(*) FROM contact WHERE id = ANY(%s)", contacts),
    }


def test_a_team_reads_nothing_of_another_teams_cases_customers_and_events(
    floor: Floor,
) -> None:
    desk_cases = [_number(floor.desk_open), _number(floor.desk_bin)]
    partner_cases = [_number(floor.partner_open), _number(floor.partner_bin)]
    with floor.connect("rls_pia") as conn:
        assert _seen(conn, desk_cases, [floor.juan]) == {
            "cases": 0, "events": 0, "all_events": 3, "contacts": 0}  # their own 3
        assert _seen(conn, partner_cases, [floor.paula])["cases"] == 2
    for login in ("rls_ana", "rls_sup"):
        with floor.connect(login) as conn:
            assert _seen(conn, partner_cases, [floor.paula]) == {
                "cases": 0, "events": 0, "all_events": 3, "contacts": 0}
    with floor.connect("rls_admin") as conn:
        assert _seen(conn, desk_cases + partner_cases, [floor.juan, floor.paula]) == {
            "cases": 4, "events": 6, "all_events": 6, "contacts": 2}
    desk = floor.desk_as("rls_pia")  # casedesk obeys it without a filter of its own
    try:
        with pytest.raises(NotFound):
            reads.get_case(desk, floor.desk_open)
        assert reads.get_case(desk, floor.partner_open).title == "Factura"
    finally:
        desk.engine.dispose()


def test_a_temporary_table_cannot_change_who_the_session_is(floor: Floor) -> None:
    with floor.connect("rls_pia") as conn:
        conn.execute("CREATE TEMP TABLE agent (id bigint, login text, team_id bigint)")
        conn.execute("INSERT INTO agent VALUES (%s, 'rls_pia', NULL)", (floor.ids["rls_pia"],))
        assert conn.execute('SELECT count(*) FROM "case" WHERE number = %s',
                            (_number(floor.desk_open),)).fetchone() == (0,)


# --- configuration and presence ---------------------------------------------------------


def test_configuration_is_for_supervisors_and_agents_for_admins(floor: Floor) -> None:
    rule = ("INSERT INTO routing_rule (name, position, active, queue_id, strategy) "
            "VALUES (%s, 1, true, (SELECT id FROM queue WHERE name = 'technical'), 'queue')")
    with floor.connect("rls_ana") as conn:
        _refused(conn, rule, "mine")
        _refused(conn, "UPDATE agent SET role = 'admin' WHERE login = 'rls_ana'")
        _refused(conn, "UPDATE queue SET name = 'x'")
        conn.execute("UPDATE agent SET status = 'away' WHERE login = 'rls_ana'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("UPDATE agent SET status = 'away' WHERE login = 'rls_luis'")
    with floor.connect("rls_sup") as conn:
        conn.execute(rule, ("supervised",))
        conn.execute("UPDATE agent SET status = 'away' WHERE login = 'rls_luis'")
        _refused(conn, "INSERT INTO team (name) VALUES ('mine')")
    with floor.connect("rls_admin") as conn:
        conn.execute("INSERT INTO team (name) VALUES ('Second site')")


def test_the_clock_runs_only_where_it_sees_every_team(floor: Floor, tmp_path: Any) -> None:
    for url, expected in ((floor.url, True), (floor.url_as("rls_admin"), False),
                          (floor.url_as("rls_ana"), False),
                          (f"sqlite:///{tmp_path / 'x.db'}", True)):
        engine = make_engine(url)
        try:
            assert may_run_clock(engine) is expected, url
        finally:
            engine.dispose()


# --- the migration ----------------------------------------------------------------------


def test_0006_gives_existing_agents_a_login_role_and_downgrades(pg_server: PgServer) -> None:
    login = f"rls_old_{uuid.uuid4().hex[:8]}"
    url = pg_server.create_database(f"m_{uuid.uuid4().hex[:12]}")
    engine = make_engine(url, pool=False)
    try:
        upgrade(engine, "0005")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO agent (login, name, role, capacity, status, "
                              "timezone, active) VALUES (:l, 'Old', 'supervisor', 10, "
                              "'available', 'UTC', true)"), {"l": login})
        upgrade(engine, "0006")
        upgrade(engine, "0006")  # idempotent
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_has_role(:l, 'casedesk_supervisor', "
                                     "'MEMBER')"), {"l": login}).scalar() is True
            assert conn.execute(text("SELECT count(*) FROM pg_policies")).scalar() > 20
        command.downgrade(alembic_config(engine), "0005")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_policies")).scalar() == 0
        upgrade(engine)
    finally:
        engine.dispose()
        with psycopg.connect(plain(pg_server.admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{make_url_db(url)}"')
            conn.execute(pgsql.SQL("DROP ROLE {}").format(pgsql.Identifier(login)))


def make_url_db(url: str) -> str:
    return str(make_url(url).database)


def test_seeing_a_case_is_not_being_allowed_to_change_it(floor: Floor, pg_server: PgServer) -> None:
    """A desk agent outside the case's queue sees it (desk staff see the desk's cases) but
    may not change it: the refusal says so instead of "no case"."""
    from casedesk.errors import PermissionDenied

    ensure_login_role(pg_server.admin_url, "rls_eva", "agent")
    owner = Desk(make_engine(floor.url), FrozenClock(T0))
    staff.add_agent(owner, owner.actor("rls_admin"), login="rls_eva", name="Eva", role="agent")
    owner.engine.dispose()
    desk = floor.desk_as("rls_eva")
    eva = desk.actor("rls_eva")
    assert reads.get_case(desk, floor.desk_open).number == floor.desk_open
    with pytest.raises(PermissionDenied, match="is not yours to change"):
        cases.add_note(desk, eva, floor.desk_open, "hola")
    with pytest.raises(NotFound):  # the partner's case stays out of sight altogether
        cases.add_note(desk, eva, floor.partner_open, "hola")
    desk.engine.dispose()
