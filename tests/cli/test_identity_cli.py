"""Who is who through the command line: agent add/passwd/disable, --as on a shared
database, teams, db info — on SQLite (as today) and on PostgreSQL (roles)."""

from __future__ import annotations

import json
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from casedesk.cli import app
from tests.pgserver import PgServer
from tests.services.test_roles import _grant_tables, role_row

runner = CliRunner()


def cli(db: str, *args: str, who: str | None = None, stdin: str | None = None
        ) -> tuple[int, str, str]:
    argv = ["--db", db] + (["--as", who] if who else [])
    result = runner.invoke(app, [*argv, *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def as_role(db_url: str, login: str) -> str:
    return make_url(db_url).set(username=login).render_as_string(hide_password=False)


@pytest.fixture
def floor(db_url: str) -> str:
    """An admin and two agents, made through the CLI (no passwords: a trust server)."""
    extra = ["--no-password"] if db_url.startswith("postgresql") else []
    code, _, err = cli(db_url, "agent", "add", "admin", "--name", "Admin", "--role", "admin",
                       *extra)
    assert code == 0, err
    for login, role in (("maria", "supervisor"), ("ana", "agent")):
        code, _, err = cli(db_url, "agent", "add", login, "--name", login.title(),
                           "--role", role, *extra, who="admin")
        assert code == 0, err
    cli(db_url, "queue", "add", "billing", "--members", "ana,maria", who="admin")
    if db_url.startswith("postgresql"):
        _grant_tables(db_url)
    return db_url


def test_teams_through_the_cli(floor: str) -> None:
    code, out, err = cli(floor, "team", "add", "North", "--description", "partner", who="admin")
    assert code == 0 and "team North added" in out, err
    code, out, _ = cli(floor, "team", "members", "North", "--add", "ana", who="admin")
    assert code == 0 and "members: ana" in out
    code, out, _ = cli(floor, "team", "queues", "North", "--add", "billing", who="admin")
    assert code == 0 and "queues:  billing" in out
    code, out, _ = cli(floor, "--json", "team", "list")
    assert json.loads(out) == [{"id": 1, "name": "North", "description": "partner",
                                "members": ["ana"], "queues": ["billing"]}]
    code, out, _ = cli(floor, "agent", "list")
    assert "team" in out and "North" in out
    code, out, _ = cli(floor, "--json", "queue", "list")
    assert json.loads(out)[0]["team"] == "North"
    code, _, err = cli(floor, "team", "add", "South", who="ana" if "sqlite" in floor else None)
    if "sqlite" in floor:
        assert code == 1 and "only admins may add teams" in err


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sqlite_keeps_as_and_has_no_passwords(floor: str) -> None:
    code, out, _ = cli(floor, "agent", "status", "away", who="maria")
    assert code == 0 and "maria is away" in out
    code, _, err = cli(floor, "agent", "passwd", "ana", who="admin")
    assert code == 1 and "SQLite desk has no passwords" in err
    code, out, _ = cli(floor, "--json", "db", "info")
    assert json.loads(out)["connected_as"]["role"] is None
    code, out, err = cli(floor, "agent", "disable", "ana", who="admin")
    assert code == 0 and "disabled" in out, err


ONLY_PG = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def _pg(floor: str) -> str:
    assert floor.startswith("postgresql")
    return floor


@ONLY_PG
def test_as_by_a_non_admin_is_refused_and_an_admins_works(floor: str) -> None:
    url = _pg(floor)
    code, _, err = cli(as_role(url, "ana"), "agent", "status", "away", who="maria")
    assert code == 2
    assert err.strip() == ("casedesk: --as on a shared database is for admins: connect as "
                           "yourself (user=maria in the database URL)")
    code, out, err = cli(as_role(url, "ana"), "agent", "status", "away")
    assert code == 0 and "ana is away" in out, err
    code, out, err = cli(as_role(url, "ana"), "agent", "status", "available", who="ana")
    assert code == 0, err  # naming yourself is fine
    code, out, err = cli(as_role(url, "admin"), "agent", "status", "away", who="maria")
    assert code == 0 and "maria is away" in out, err


@ONLY_PG
def test_the_config_files_agent_is_not_used_on_postgresql(floor: str) -> None:
    url = _pg(floor)
    from casedesk.config import write_config_value

    write_config_value("agent", "maria")
    code, out, err = cli(as_role(url, "ana"), "agent", "status", "away")
    assert code == 0 and "ana is away" in out, err


@ONLY_PG
def test_a_role_that_is_no_agent_is_told_so(floor: str, pg_server: PgServer) -> None:
    url = _pg(floor)
    stranger = f"x{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_server.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{stranger}" LOGIN IN ROLE casedesk_agent')
    code, _, err = cli(as_role(url, stranger), "agent", "status", "away")
    assert code == 2 and "which is not a casedesk agent" in err and "\n" not in err.strip()


@ONLY_PG
def test_agent_add_passwd_disable_on_postgresql(floor: str) -> None:
    url = _pg(floor)
    login = f"n{uuid.uuid4().hex[:10]}"
    code, out, err = cli(as_role(url, "admin"), "agent", "add", login, "--name", "New",
                         "--password-stdin", stdin="s3cret words\n")
    assert code == 0 and f"agent {login}" in out, err
    row = role_row_for(url, login)
    assert row is not None and row["groups"] == ["casedesk_agent"] and row["login"]
    code, out, err = cli(as_role(url, "admin"), "agent", "passwd", login, "--password-stdin",
                         stdin="other words\n")
    assert code == 0 and "password of" in out and "other words" not in out + err
    code, _, err = cli(as_role(url, "admin"), "agent", "add", f"{login}b", "--name", "B")
    assert code == 0 and "gets none" in err  # no terminal to prompt on: no password, said
    code, _, err = cli(as_role(url, "maria"), "agent", "add", f"{login}c", "--name", "C",
                       "--no-password")
    assert code == 1 and "only an admin's role may add agents: connect as an admin" in err
    code, out, err = cli(as_role(url, "admin"), "agent", "disable", login)
    assert code == 0 and "disabled" in out, err
    row = role_row_for(url, login)
    assert row is not None and row["login"] is False


def role_row_for(url: str, login: str) -> dict[str, object] | None:
    from casedesk.db import make_engine
    from casedesk.services.context import Desk

    desk = Desk(make_engine(url))
    try:
        return role_row(desk, login)
    finally:
        desk.engine.dispose()


@ONLY_PG
def test_db_info_says_who_you_are(floor: str) -> None:
    url = _pg(floor)
    code, out, err = cli(as_role(url, "ana"), "--json", "db", "info")
    assert code == 0, err
    me = json.loads(out)["connected_as"]
    assert (me["role"], me["group"], me["agent"], me["team"]) == ("ana", "agent", "ana", None)
    assert "read cases" in me["may"] and "add and change agents" not in me["may"]
    code, out, _ = cli(as_role(url, "admin"), "db", "info")
    assert "role:      admin (admin; agent admin; team none)" in out
    assert "add and change agents" in out
    code, out, _ = cli(url, "--json", "db", "info")
    assert json.loads(out)["connected_as"]["group"] == "superuser"
