"""SQLite's write lock (issue 17 point 5): a writer waits for it with short pauses
(:func:`casedesk.db.begin_immediate`), not SQLite's busy handler's growing sleeps; it still
gives up after the busy timeout, with the error SQLAlchemy would have raised."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from casedesk import db
from casedesk.db import begin_immediate, make_engine, write_session


def _holder(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    path = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (who INTEGER, n INTEGER)"))
    engine.dispose()
    return path


def test_a_writer_takes_the_lock_soon_after_it_is_released(db_file: Path) -> None:
    engine = make_engine(f"sqlite:///{db_file}")
    holder = _holder(db_file)
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    started = time.monotonic()
    with write_session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (1, 1)"))
    waited = time.monotonic() - started
    assert 0.25 <= waited < 5, waited  # it waited for the holder, not for a long sleep
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
        # the connection's busy timeout is back for every later statement
        raw = conn.connection.dbapi_connection
        assert raw is not None
        assert raw.execute("PRAGMA busy_timeout").fetchone() == (db.SQLITE_BUSY_TIMEOUT_MS,)
    holder.close()
    engine.dispose()


def test_a_lock_held_past_the_timeout_is_the_usual_error(
    db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = _holder(db_file)
    raw = sqlite3.connect(db_file, isolation_level=None)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        begin_immediate(raw, timeout_ms=200)
    assert 0.19 <= time.monotonic() - started < 5
    assert raw.execute("PRAGMA busy_timeout").fetchone() == (200,)
    assert not raw.in_transaction
    raw.close()
    # through an engine: SQLAlchemy's OperationalError, as before (the one-line message)
    real = db.begin_immediate
    monkeypatch.setattr(db, "begin_immediate", lambda c: real(c, timeout_ms=100))
    engine = make_engine(f"sqlite:///{db_file}")
    with pytest.raises(OperationalError, match="database is locked"), write_session(engine):
        pass
    holder.execute("ROLLBACK")
    holder.close()
    engine.dispose()


def test_sqlite_s_own_busy_handler_can_be_asked_for(
    db_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(db, "begin_immediate", lambda c: calls.append(c))
    monkeypatch.setenv("CASEDESK_SQLITE_BUSY", "sqlite")
    assert db.sqlite_busy_wait() == "sqlite"
    engine = make_engine(f"sqlite:///{db_file}")
    with write_session(engine) as session:
        session.execute(text("INSERT INTO t VALUES (1, 1)"))
    assert calls == []
    monkeypatch.delenv("CASEDESK_SQLITE_BUSY")
    assert db.sqlite_busy_wait() == "spin"
    engine.dispose()


def test_eight_writers_all_write(db_file: Path) -> None:
    """8 threads, each with its own connection, 25 transactions that hold the lock 2 ms:
    every row lands once and nobody runs into the busy timeout (the latencies are
    measured by ``bench/claims.py``, not asserted here on a shared machine)."""
    waits: list[float] = []
    lock = threading.Lock()

    def writer(who: int) -> None:
        engine = make_engine(f"sqlite:///{db_file}", pool=False)
        for n in range(25):
            started = time.monotonic()
            with write_session(engine) as session:
                session.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": who, "n": n})
                with lock:
                    waits.append(time.monotonic() - started)
                time.sleep(0.002)
        engine.dispose()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    engine = make_engine(f"sqlite:///{db_file}")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(DISTINCT who * 100 + n) FROM t")).scalar_one()
    engine.dispose()
    assert rows == 200 and len(waits) == 200
    assert max(waits) < 10, max(waits)  # nobody gave up or waited for the busy timeout
