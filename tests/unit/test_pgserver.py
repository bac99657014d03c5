"""Tests for the throw-away PostgreSQL helper in ``tests/pgserver.py``."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text

from tests import pgserver
from tests.pgserver import PgServer, PgServerError, pg_required, start_postgres


def _start(base_dir: Path | None = None) -> PgServer:
    """Start a server; a failure fails the test under CI / CASEDESK_REQUIRE_PG, else skips."""
    try:
        return start_postgres(base_dir)
    except PgServerError as exc:
        if pg_required():
            pytest.fail(f"PostgreSQL required but unavailable: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")


def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def _port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture
def local_pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Force a locally started server even if CASEDESK_TEST_PG_URL is set outside."""
    monkeypatch.delenv(pgserver.ENV_URL, raising=False)
    yield


@pytest.mark.usefixtures("local_pg")
def test_start_query_create_database_and_stop() -> None:
    server = _start()
    try:
        assert server.url == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/casedesk_test"
        assert server.admin_url.endswith(f":{server.port}/postgres")
        assert server.data_dir is not None and (server.data_dir / "PG_VERSION").is_file()

        version = _scalar(server.url, "select version()")
        assert isinstance(version, str) and version.startswith("PostgreSQL")
        assert _scalar(server.url, "select current_database()") == "casedesk_test"

        other = server.create_database("casedesk_second")
        assert other.endswith("/casedesk_second")
        assert _scalar(other, "select current_database()") == "casedesk_second"
        assert _scalar(other, "select count(*) from pg_tables where schemaname = 'public'") == 0

        server.drop_database("casedesk_second")
        with pytest.raises(Exception, match="does not exist"):
            _scalar(other, "select 1")
    finally:
        server.stop()

    assert server.workdir is not None and not server.workdir.exists()
    assert not _port_open(server.port)
    server.stop()  # idempotent


@pytest.mark.usefixtures("local_pg")
def test_concurrent_servers_do_not_collide(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(start_postgres, tmp_path if i else None) for i in range(2)]
        try:
            servers = [f.result() for f in futures]
        except PgServerError as exc:
            for f in futures:
                if f.exception() is None:
                    f.result().stop()
            if pg_required():
                pytest.fail(f"PostgreSQL required but unavailable: {exc}")
            pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        assert servers[0].port != servers[1].port
        assert servers[0].workdir != servers[1].workdir
        for server in servers:
            assert _scalar(server.url, "select 1") == 1
    finally:
        for server in servers:
            server.stop()
    assert not any(s.workdir is not None and s.workdir.exists() for s in servers)


@pytest.mark.usefixtures("local_pg")
def test_retries_when_port_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        real_free_port = pgserver._free_port
        ports = iter([taken])
        monkeypatch.setattr(pgserver, "_free_port", lambda: next(ports, None) or real_free_port())
        server = _start()
        try:
            assert server.port != taken
            assert _scalar(server.url, "select 1") == 1
        finally:
            server.stop()


@pytest.mark.usefixtures("local_pg")
def test_env_url_override_only_drops_its_databases(monkeypatch: pytest.MonkeyPatch) -> None:
    real = _start()
    try:
        monkeypatch.setenv(pgserver.ENV_URL, real.url.replace("+psycopg", ""))
        borrowed = start_postgres()
        assert borrowed.external and borrowed.workdir is None
        assert borrowed.url == real.url and borrowed.admin_url == real.admin_url

        url = borrowed.create_database("casedesk_borrowed")
        assert _scalar(url, "select current_database()") == "casedesk_borrowed"
        borrowed.stop()
        borrowed.stop()

        with psycopg.connect(real.admin_url.replace("+psycopg", ""), autocommit=True) as conn:
            names = {r[0] for r in conn.execute("select datname from pg_database")}
        assert "casedesk_borrowed" not in names
        assert "casedesk_test" in names  # the wrapped server and its database are untouched
    finally:
        real.stop()


def test_invalid_database_name_is_rejected() -> None:
    server = PgServer("postgresql+psycopg://postgres@127.0.0.1:1/casedesk_test")
    try:
        with pytest.raises(ValueError, match="invalid database name"):
            server.url_for("bad; drop")
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("ci", "require", "expected"),
    [
        (None, None, False),
        ("false", None, False),
        ("true", None, True),
        ("1", None, True),
        ("TRUE", None, True),
        (None, "1", True),
        (None, "0", False),
    ],
)
def test_pg_required(
    monkeypatch: pytest.MonkeyPatch, ci: str | None, require: str | None, expected: bool
) -> None:
    for name, value in (("CI", ci), ("CASEDESK_REQUIRE_PG", require)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert pg_required() is expected
