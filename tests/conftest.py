"""Shared fixtures: isolated config, and a migrated database on SQLite and on PostgreSQL.

Every test that takes ``db_url`` (or ``desk``) runs twice: once on a SQLite file and
once on a real PostgreSQL server this session starts itself (tests/pgserver.py). In
CI (``CI=true``) a server that will not start fails the run; it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from casedesk.clock import FrozenClock
from casedesk.db import make_engine, upgrade
from casedesk.i18n import set_language
from casedesk.services.context import Actor, Desk
from casedesk.services.directory import customers, queue_setup, staff
from tests.pgroles import as_role, ensure_login_role, suite_role
from tests.pgserver import PgServer, start_or_skip

#: A Monday morning in Madrid (09:00 local), the fixed "now" of the service tests.
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the developer's real config or data."""
    monkeypatch.setenv("CASEDESK_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("CASEDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CASEDESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("CASEDESK_AGENT", raising=False)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test reads English unless it switches (and is switched back after)."""
    monkeypatch.delenv("CASEDESK_LANG", raising=False)
    monkeypatch.setenv("LANGUAGE", "en")
    set_language("en")
    yield
    set_language("en")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = start_or_skip()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_scram_server() -> Iterator[PgServer]:
    """A second server that wants passwords (scram-sha-256), for sign-in and passwd tests."""
    server = start_or_skip(auth="scram-sha-256")
    yield server
    server.stop()


@pytest.fixture
def scram_db(pg_scram_server: PgServer) -> Iterator[tuple[PgServer, str]]:
    """A fresh, migrated database on the password server: (server, database name)."""
    name = f"s_{uuid.uuid4().hex[:16]}"
    url = pg_scram_server.create_database(name)
    engine = make_engine(url, pool=False)
    upgrade(engine)
    engine.dispose()
    yield pg_scram_server, name
    pg_scram_server.drop_database(name)


@pytest.fixture(scope="session")
def pg_template(pg_server: PgServer) -> str:
    """A migrated database used as the template of every PostgreSQL test database."""
    name = f"tpl_{uuid.uuid4().hex[:12]}"
    url = pg_server.create_database(name)
    engine = make_engine(url, pool=False)
    upgrade(engine)
    engine.dispose()
    return name


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}", pool=False)
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database URL on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "casedesk.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    template_name: str = request.getfixturevalue("pg_template")
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}"')
    role = suite_role()  # CASEDESK_TEST_PG_ROLE=admin: as a plain admin login, not superuser
    if role is not None:
        ensure_login_role(server.admin_url, role, role)
    yield server.url_for(name) if role is None else as_role(server.url_for(name), role)
    server.drop_database(name)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def desk(db_url: str, clock: FrozenClock) -> Iterator[Desk]:
    engine = make_engine(db_url)
    yield Desk(engine, clock)
    engine.dispose()


@dataclass
class World:
    """A small call centre: three queues, three agents, a supervisor and an admin."""

    desk: Desk
    admin: Actor
    sup: Actor
    ana: Actor
    luis: Actor
    carmen: Actor
    contact_id: int


def build_world(desk: Desk) -> World:
    staff.add_agent(desk, None, login="admin", name="Admin", role="admin")
    admin = desk.actor("admin")
    staff.add_agent(desk, admin, login="maria", name="María López", role="supervisor")
    staff.add_agent(desk, admin, login="ana", name="Ana García", skills=["billing"])
    staff.add_agent(desk, admin, login="luis", name="Luis Romero", skills=["network"])
    staff.add_agent(desk, admin, login="carmen", name="Carmen Ruiz")
    queue_setup.add_queue(desk, admin, name="technical", area="technical",
                        members=["ana", "luis", "maria"])
    queue_setup.add_queue(desk, admin, name="billing", area="billing", members=["ana", "maria"])
    queue_setup.add_queue(desk, admin, name="commercial", area="commercial", members=["carmen"])
    account = customers.add_account(desk, name="Pérez Hogar", tier="gold")
    contact = customers.add_contact(desk, name="Juan Pérez", email="juan.perez@example.com",
                                    phone="+34 600 111 222", account_id=account)
    return World(desk, admin, desk.actor("maria"), desk.actor("ana"), desk.actor("luis"),
                 desk.actor("carmen"), contact)


@pytest.fixture
def world(desk: Desk) -> World:
    return build_world(desk)


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("HYPOTHESIS_PROFILE", "default")
    # commands the tests run leave no resident process behind (tests/cli/test_resident.py
    # turns it on where it is the subject)
    os.environ["CASEDESK_RESIDENT"] = "0"
