"""Agents' PostgreSQL login roles: created with the agent, in the right group, able to log
in; passwords (against a scram server), disable, role changes; SQLite keeps no roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from casedesk.db import make_engine, open_database
from casedesk.errors import ConfigError, ConflictError, PasswordNeeded, PermissionDenied
from casedesk.services.context import Desk
from casedesk.services.directory import staff
from tests.conftest import World
from tests.pgserver import PgServer


def unique(prefix: str = "r") -> str:
    """A login no other test uses (roles are shared by every database of the server)."""
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def role_row(desk: Desk, login: str) -> dict[str, Any] | None:
    with psycopg.connect(_plain(desk.engine.url.render_as_string(hide_password=False))) as conn:
        row = conn.execute(
            "SELECT rolcanlogin, rolcreaterole, rolsuper, ARRAY(SELECT g.rolname FROM "
            "pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid "
            "ORDER BY 1) FROM pg_roles r WHERE rolname = %s",
            (login,),
        ).fetchone()
    if row is None:
        return None
    return {"login": row[0], "createrole": row[1], "super": row[2], "groups": row[3]}


def connect_as(desk: Desk, login: str, password: str | None = None) -> None:
    url = make_url(desk.engine.url.render_as_string(hide_password=False))
    url = url.set(drivername="postgresql", username=None, password=None)
    extra = {} if password is None else {"password": password}
    with psycopg.connect(url.render_as_string(hide_password=False), user=login,
                         connect_timeout=5, **extra) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (login,)


@pytest.fixture
def pg_world(world: World) -> World:
    """The world on PostgreSQL (tests using it select that database with ONLY_PG)."""
    assert world.desk.engine.dialect.name == "postgresql"
    return world


ONLY_PG = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
ONLY_SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@ONLY_SQLITE
def test_sqlite_keeps_no_roles_and_no_passwords(world: World) -> None:
    agent = staff.add_agent(world.desk, world.admin, login="nopw", name="N", password="secret")
    assert agent.login == "nopw"
    with pytest.raises(Exception, match="SQLite desk has no passwords"):
        staff.set_password(world.desk, world.admin, "nopw", "other")


@ONLY_PG
def test_add_agent_creates_a_login_role_in_its_group(pg_world: World) -> None:
    login = unique()
    staff.add_agent(pg_world.desk, pg_world.admin, login=login, name="Role Test")
    assert role_row(pg_world.desk, login) == {
        "login": True, "createrole": False, "super": False, "groups": ["casedesk_agent"]
    }
    connect_as(pg_world.desk, login)  # trust server: no password needed


@ONLY_PG
def test_admin_roles_may_create_roles_and_role_changes_regrant(pg_world: World) -> None:
    login = unique()
    staff.add_agent(pg_world.desk, pg_world.admin, login=login, name="A", role="admin")
    assert role_row(pg_world.desk, login) == {
        "login": True, "createrole": True, "super": False, "groups": ["casedesk_admin"]
    }
    staff.set_agent_role(pg_world.desk, pg_world.admin, login, "supervisor")
    row = role_row(pg_world.desk, login)
    assert row is not None
    assert (row["groups"], row["createrole"]) == (["casedesk_supervisor"], False)


@ONLY_PG
def test_an_existing_role_is_adopted(pg_world: World, pg_server: PgServer) -> None:
    """Another database of the server made the role already: adding the agent here is fine."""
    login = unique()
    with psycopg.connect(_plain(pg_server.admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{login}" LOGIN')
    staff.add_agent(pg_world.desk, pg_world.admin, login=login, name="Adopted", role="supervisor")
    row = role_row(pg_world.desk, login)
    assert row is not None and row["groups"] == ["casedesk_supervisor"]


@ONLY_PG
@pytest.mark.parametrize("login", ["postgres", "casedesk_admin", "pg_monitor"])
def test_a_role_with_another_meaning_is_refused(pg_world: World, login: str) -> None:
    with pytest.raises(ConflictError, match="already exists as"):
        staff.add_agent(pg_world.desk, pg_world.admin, login=login, name="X")
    with pytest.raises(Exception, match="no agent"):
        staff.get_agent(pg_world.desk, login)  # the agent row rolled back with it


@ONLY_PG
def test_disable_revokes_login_and_keeps_the_agent(pg_world: World) -> None:
    login = unique()
    staff.add_agent(pg_world.desk, pg_world.admin, login=login, name="Leaving")
    staff.set_agent_active(pg_world.desk, pg_world.admin, login, False)
    row = role_row(pg_world.desk, login)
    assert row is not None and row["login"] is False
    assert staff.get_agent(pg_world.desk, login).active is False
    with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
        connect_as(pg_world.desk, login)
    staff.set_agent_active(pg_world.desk, pg_world.admin, login, True)
    connect_as(pg_world.desk, login)


def _grant_tables(desk_url: str) -> None:
    """Stand-in for migration 0006's grants (this branch does not own the migrations):
    the groups may use the tables, so a non-superuser admin can be tried."""
    with psycopg.connect(_plain(desk_url), autocommit=True) as conn:
        conn.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO casedesk_agent")
        conn.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO casedesk_agent")


@ONLY_PG
def test_an_admin_role_adds_agents_and_a_supervisor_role_may_not(
    pg_world: World, pg_server: PgServer
) -> None:
    url = pg_world.desk.engine.url
    _grant_tables(url.render_as_string(hide_password=False))
    boss, sup, new = unique("a"), unique("s"), unique("n")
    staff.add_agent(pg_world.desk, pg_world.admin, login=boss, name="Boss", role="admin")
    staff.add_agent(pg_world.desk, pg_world.admin, login=sup, name="Sup", role="supervisor")
    database = url.database or ""
    as_boss = Desk(make_engine(pg_server.url_as(database, boss)))
    as_sup = Desk(make_engine(pg_server.url_as(database, sup)))
    try:
        staff.add_agent(as_boss, as_boss.identify(None), login=new, name="New")
        row = role_row(pg_world.desk, new)
        assert row is not None and row["groups"] == ["casedesk_agent"]
        with pytest.raises(PermissionDenied, match="only an admin's role may add agents"):
            staff.add_agent(as_sup, as_sup.identify(None), login=unique(), name="Nope")
    finally:
        as_boss.engine.dispose()
        as_sup.engine.dispose()


# --- identity from the connection ------------------------------------------------------


@ONLY_PG
def test_the_connected_role_is_the_actor_and_as_is_for_admins(
    pg_world: World, pg_server: PgServer
) -> None:
    _grant_tables(pg_world.desk.engine.url.render_as_string(hide_password=False))
    database = pg_world.desk.engine.url.database or ""
    ana = Desk(make_engine(pg_server.url_as(database, "ana")))
    try:
        assert ana.session_role() == "ana"
        assert ana.identify(None).login == "ana"
        assert ana.identify("ana").login == "ana"  # naming yourself is no claim
        with pytest.raises(ConfigError, match=r"--as on a shared database is for admins.*"
                                              r"user=maria in the database URL"):
            ana.identify("maria")
    finally:
        ana.engine.dispose()
    owner = pg_world.desk  # the superuser: an admin for --as
    assert owner.identify("maria").login == "maria"
    assert owner.acting_as == "maria"
    with owner.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT current_setting('casedesk.acting_as')").scalar() == \
            "maria"


@ONLY_PG
def test_a_role_without_an_agent_is_told_so(pg_world: World, pg_server: PgServer) -> None:
    stranger = unique("x")
    with psycopg.connect(_plain(pg_server.admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{stranger}" LOGIN IN ROLE casedesk_agent')
    _grant_tables(pg_world.desk.engine.url.render_as_string(hide_password=False))
    database = pg_world.desk.engine.url.database or ""
    desk = Desk(make_engine(pg_server.url_as(database, stranger)))
    try:
        with pytest.raises(ConfigError, match="which is not a casedesk agent"):
            desk.identify(None)
    finally:
        desk.engine.dispose()


# --- passwords, against a server that wants them -------------------------------------


@pytest.fixture
def scram_desk(scram_db: tuple[PgServer, str]) -> Iterator[tuple[Desk, PgServer, str]]:
    server, name = scram_db
    desk = Desk(make_engine(server.url_for(name)))
    staff.add_agent(desk, None, login="admin", name="Admin", role="admin")
    _grant_tables(server.url_for(name))
    yield desk, server, name
    desk.engine.dispose()


def test_passwords_let_the_agent_in_and_passwd_changes_them(
    scram_desk: tuple[Desk, PgServer, str],
) -> None:
    desk, server, name = scram_desk
    admin = desk.actor("admin")
    login = unique()
    staff.add_agent(desk, admin, login=login, name="Pw", password="first secret")
    connect_as(desk, login, "first secret")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect_as(desk, login, "wrong")
    staff.set_password(desk, admin, login, "second secret")
    connect_as(desk, login, "second secret")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        connect_as(desk, login, "first secret")
    # casedesk's own open: no password is one PasswordNeeded line; the right one opens
    url = server.url_as(name, login)
    with pytest.raises(PasswordNeeded, match="PGPASSWORD or ~/.pgpass"):
        open_database(url)
    open_database(url, password="second secret").dispose()
    staff.set_agent_active(desk, admin, login, False)
    with pytest.raises(ConfigError, match="not permitted to log in"):
        open_database(url, password="second secret")


def test_the_password_never_reaches_the_server_in_plain(
    scram_desk: tuple[Desk, PgServer, str],
) -> None:
    desk, _server, _name = scram_desk
    login = unique()
    staff.add_agent(desk, desk.actor("admin"), login=login, name="Hash", password="plain words")
    with desk.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %(l)s", {"l": login}
        ).scalar()
    assert stored.startswith("SCRAM-SHA-256$") and "plain words" not in stored
