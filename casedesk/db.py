"""Engines and sessions from a database URL, SQLite pragmas, and Alembic migrations.

SQLite runs in WAL mode with foreign keys on and a 30 s busy timeout. Transactions
that write are opened with ``BEGIN IMMEDIATE`` (see :func:`write_session`) so two
processes never deadlock upgrading a read lock; PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

import casedesk.models  # noqa: F401 - registers every table on SQLModel.metadata
from casedesk.errors import ConfigError, SchemaOutdated

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: The newest migration's revision. Opening a database compares its ``alembic_version``
#: with this constant, so the workstation starts without loading Alembic (~120 ms);
#: ``tests/unit/test_schema_head.py`` keeps it equal to Alembic's own head.
SCHEMA_HEAD = "0003"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def normalise_url(raw: str) -> URL:
    """Parse a database URL; ``postgres://`` and ``postgresql://`` go through psycopg 3."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise ConfigError(
            f"bad database URL {raw!r}: use sqlite:///PATH or postgresql://USER@HOST/DB"
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(
            f"unsupported database {backend!r} in {mask_url(raw)}: casedesk runs on SQLite "
            "or PostgreSQL"
        )
    return url


def mask_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and ``db info``."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def make_engine(raw_url: str, *, pool: bool = True, echo: bool = False) -> Engine:
    """An engine for the URL. SQLite files get their directory created and the pragmas."""
    url = normalise_url(raw_url)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            raise ConfigError(
                "in-memory SQLite is not supported (each connection would see an empty "
                "database): give a file, e.g. sqlite:///casedesk.db"
            )
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "check_same_thread": False,
        }
        if not pool:
            kwargs["poolclass"] = NullPool
        engine = create_engine(url, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    kwargs["pool_pre_ping"] = True
    if not pool:
        kwargs["poolclass"] = NullPool
    else:
        kwargs["pool_size"] = 5
        kwargs["max_overflow"] = 10
    kwargs["connect_args"] = {"connect_timeout": 5}
    return create_engine(url, **kwargs)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Statement journals (any trigger on a bulk-inserted table) stay in memory.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads; nothing it does is committed."""
    with Session(engine, expire_on_commit=False, autoflush=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error.

    On SQLite it begins ``IMMEDIATE`` so that the write lock is taken up front and
    concurrent writers queue on the busy timeout instead of failing.
    """
    with Session(engine, expire_on_commit=False, autoflush=False) as session:
        if is_sqlite(engine):
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# --- migrations -------------------------------------------------------------------


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration, as Alembic reads it from the scripts."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "casedesk ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's schema revision (None without a casedesk schema)."""
    with connect(engine) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


@contextmanager
def connect(engine: Engine) -> Iterator[Any]:
    """A connection, with unreachable servers and unreadable files turned into ConfigError."""
    try:
        conn = engine.connect()
    except (OperationalError, DBAPIError) as exc:
        raise ConfigError(
            f"cannot open database {mask_url(engine.url)}: {_first_line(exc)}; check the URL "
            "(--db or CASEDESK_DATABASE_URL) and that the server is running"
        ) from None
    try:
        yield conn
    finally:
        conn.close()


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Create or upgrade the schema; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), revision)
    return before, current_revision(engine) or ""


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database whose schema is not this program's."""
    current = current_revision(engine)
    if current == SCHEMA_HEAD:
        return
    head = head_revision()
    if current is None:
        raise SchemaOutdated(
            f"database {mask_url(engine.url)} has no casedesk schema: run `casedesk db upgrade`"
        )
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise SchemaOutdated(
            f"database {mask_url(engine.url)} is at revision {current}, newer than this casedesk "
            f"({head}): upgrade casedesk"
        )
    raise SchemaOutdated(
        f"database {mask_url(engine.url)} is at revision {current}, this casedesk needs {head}: "
        "run `casedesk db upgrade`"
    )


@dataclass(frozen=True)
class DbInfo:
    url: str
    backend: str
    revision: str | None
    head: str
    counts: dict[str, int]


def info(engine: Engine) -> DbInfo:
    """URL (password masked), schema revision and row counts of every casedesk table."""
    revision = current_revision(engine)
    counts: dict[str, int] = {}
    with connect(engine) as conn:
        existing = set(inspect(conn).get_table_names())
        for name, table in sorted(SQLModel.metadata.tables.items()):
            if name in existing:
                counts[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return DbInfo(mask_url(engine.url), engine.dialect.name, revision, head_revision(), counts)


def open_database(raw_url: str, *, check: bool = True) -> Engine:
    """The engine for a URL, verified reachable and (optionally) at the current schema."""
    engine = make_engine(raw_url)
    if check:
        check_schema(engine)
    else:
        with connect(engine):
            pass
    return engine
