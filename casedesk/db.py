"""Engines and sessions from a database URL, SQLite pragmas, and Alembic migrations.

SQLite runs in WAL mode with foreign keys on and a 30 s busy timeout. Transactions
that write are opened with ``BEGIN IMMEDIATE`` (see :func:`write_session`) so two
processes never deadlock upgrading a read lock; PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, func, inspect, select, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

import casedesk.models  # noqa: F401 - registers every table on SQLModel.metadata
from casedesk.errors import ConfigError, PasswordNeeded, SchemaOutdated
from casedesk.i18n import N_, _

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
#: The newest migration's revision. Opening a database compares its ``alembic_version``
#: with this constant, so the workstation starts without loading Alembic (~120 ms);
#: ``tests/unit/test_schema_head.py`` keeps it equal to Alembic's own head.
SCHEMA_HEAD = "0017"
SQLITE_BUSY_TIMEOUT_MS = 30_000


class DatabaseDamaged(ConfigError):
    """The SQLite file is not a sound database (``PRAGMA quick_check`` failed)."""


_URL_HINT = N_("use sqlite:///PATH or postgresql://USER@HOST[:PORT]/DB")


def normalise_url(raw: str) -> URL:
    """Parse a database URL; ``postgres://`` and ``postgresql://`` go through psycopg 3.

    Everything a person can get wrong in the URL — nothing at all, a port that is not a
    number (or not 1–65535), an unclosed ``[`` around an IPv6 address, a NUL — is a
    :class:`ConfigError` naming the URL (password masked), never a traceback.
    """
    if not raw or not raw.strip():
        raise ConfigError(_("the database URL is empty: {hint}").format(hint=_(_URL_HINT)))
    if "\x00" in raw:
        raise ConfigError(_("bad database URL (it holds a NUL character): {hint}").format(
            hint=_(_URL_HINT)))
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            _("bad database URL {url}: {problem}; {hint}").format(
                url=_shown(raw), problem=_url_problem(raw, exc), hint=_(_URL_HINT))
        ) from None
    if url.port is not None and not 0 < url.port < 65536:
        raise ConfigError(
            _("bad database URL {url}: port {port} is not between 1 and 65535").format(
                url=_shown(raw), port=url.port)
        )
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(
            _("unsupported database {backend} in {url}: casedesk runs on SQLite "
              "or PostgreSQL").format(backend=repr(backend), url=mask_url(raw))
        )
    return url


def _shown(raw: str) -> str:
    """A URL for an error message: password masked where it parses, else as typed."""
    masked = re.sub(r"(://[^:/@\[]*:)[^@/]*@", r"\1***@", raw.strip())
    return repr(masked)


def _url_problem(raw: str, exc: Exception) -> str:
    """What is wrong with an unparseable URL, in words."""
    host_part = raw.partition("://")[2].rpartition("@")[2].partition("/")[0]
    if host_part.startswith("[") and "]" not in host_part:
        return _("an IPv6 address opened with [ is not closed with ]")
    if isinstance(exc, ValueError):
        return _("the port is not a number")
    return _("not a database URL")


def mask_url(url: str | URL) -> str:
    """The URL with its password hidden, for messages and ``db info``."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except (ArgumentError, ValueError):
        return _("<unparseable URL>")
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path:
    """The file of a SQLite URL (in-memory databases refused)."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        raise ConfigError(
            _("in-memory SQLite is not supported (each connection would see an empty "
              "database): give a file, e.g. sqlite:///casedesk.db")
        )
    return Path(database).expanduser()


def make_engine(
    raw_url: str,
    *,
    pool: bool = True,
    echo: bool = False,
    create: bool = True,
    password: str | None = None,
) -> Engine:
    """An engine for the URL, with the SQLite pragmas.

    ``create``: a SQLite file that does not exist yet is created (with its folders) on
    first connect; without it a missing file is a :class:`ConfigError` saying to run
    ``casedesk db upgrade`` — read-only commands never leave an empty database behind.
    """
    url = normalise_url(raw_url)
    kwargs: dict[str, Any] = {"echo": echo}
    if url.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        try:
            exists = path.is_file()
            if create and not exists:
                path.parent.mkdir(parents=True, exist_ok=True)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            message = (_("cannot create the database {path}: {reason}") if create
                       else _("cannot open the database {path}: {reason}"))
            raise ConfigError(message.format(path=path, reason=reason)) from None
        if not create and not exists:
            message = (_("{path} is a folder, not a database — run `casedesk db upgrade` to "
                         "create one") if path.is_dir()
                       else _("no database at {path} — run `casedesk db upgrade` to create one"))
            raise ConfigError(message.format(path=path))
        kwargs["connect_args"] = {
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "check_same_thread": False,
        }
        if not pool:
            kwargs["poolclass"] = NullPool
        engine = create_engine(url, **kwargs)
        _install_sqlite_hooks(engine)
        return engine
    # No pre-ping on every checkout (one round trip each): only a connection idle for
    # PING_IDLE_SECONDS is pinged (_install_postgres_hooks). A connection the server drops
    # while in use fails its statement; SQLAlchemy then drops the whole pool and the next
    # checkout connects afresh (see :func:`pool_size` for the sizing).
    if not pool:
        kwargs["poolclass"] = NullPool
    else:
        kwargs["pool_size"] = pool_size()
        kwargs["max_overflow"] = kwargs["pool_size"]
        kwargs["pool_use_lifo"] = True  # the warmest connection first; idle ones age out
    # Server-side prepared statements from a statement's second execution on a connection
    # (psycopg's default waits for the sixth): the claim's CTE costs more to plan than to
    # run, and the pool keeps connections, so each workstation's hot statements are
    # planned a handful of times a shift.
    kwargs["connect_args"] = {"connect_timeout": 5, "prepare_threshold": PREPARE_THRESHOLD}
    if password is not None:
        kwargs["connect_args"]["password"] = password
    engine = create_engine(url, **kwargs)
    _install_postgres_hooks(engine)
    return engine


#: A pooled PostgreSQL connection idle longer than this is pinged before use (a busy one
#: never is): after a server restart the first operation gets a fresh connection instead
#: of failing on a dead one.
PING_IDLE_SECONDS = 5.0


def _install_postgres_hooks(engine: Engine) -> None:
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            autocommit = dbapi_connection.autocommit
            dbapi_connection.autocommit = True
            dbapi_connection.execute("SELECT 1")
            dbapi_connection.autocommit = autocommit
        except Exception as exc:  # the server went away meanwhile: the pool reconnects
            raise DisconnectionError() from exc


#: Connections an engine keeps open to PostgreSQL when nothing says otherwise. A
#: workstation uses two or three at once (screen workers, the change listener); a bench
#: or import process with N threads wants N.
DEFAULT_POOL_SIZE = 5
POOL_SIZE_ENV = "CASEDESK_POOL_SIZE"
#: psycopg's ``prepare_threshold`` (executions of a statement before it is prepared).
PREPARE_THRESHOLD = 1


def pool_size() -> int:
    """How many PostgreSQL connections an engine pools: ``CASEDESK_POOL_SIZE``, else
    ``pool_size`` in config.toml, else :data:`DEFAULT_POOL_SIZE`; bounded to 1–200
    (anything that is not a whole number is the default). Up to as many again open
    beyond it under a burst and close when returned."""
    raw: object = os.environ.get(POOL_SIZE_ENV)
    if raw is None:
        from casedesk.config import read_config_file

        try:
            raw = read_config_file().get("pool_size")
        except ConfigError:
            raw = None
    try:
        size = int(str(raw)) if raw is not None else DEFAULT_POOL_SIZE
    except ValueError:
        size = DEFAULT_POOL_SIZE
    return min(max(size, 1), 200)


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
        # PostgreSQL's casedesk_fold() of migration 0002, the same rule in Python
        dbapi_connection.create_function("casedesk_fold", 1, _sqlite_fold, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode == "IMMEDIATE" and sqlite_busy_wait() == "spin":
            try:
                begin_immediate(conn.connection.dbapi_connection)
            except sqlite3.Error as exc:  # as SQLAlchemy would have raised it
                raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, sqlite3.Error) from exc
        else:
            conn.exec_driver_sql(f"BEGIN {mode}")


#: ``BEGIN IMMEDIATE`` retried after a pause growing from this to :data:`BUSY_PAUSE_MAX`
#: (seconds) while another connection holds SQLite's write lock (see :func:`begin_immediate`)
BUSY_PAUSE_MIN = 0.0002
BUSY_PAUSE_MAX = 0.002


def sqlite_busy_wait() -> str:
    """How a writer waits for SQLite's write lock: ``spin`` (default: :func:`begin_immediate`)
    or ``sqlite`` (SQLite's own busy handler, for comparison): ``CASEDESK_SQLITE_BUSY``."""
    return "sqlite" if os.environ.get("CASEDESK_SQLITE_BUSY", "").strip() == "sqlite" else "spin"


def begin_immediate(dbapi_connection: Any, timeout_ms: int = SQLITE_BUSY_TIMEOUT_MS) -> None:
    """``BEGIN IMMEDIATE`` on a ``sqlite3`` connection, waiting for the write lock with short
    pauses (0.2 ms growing to 2 ms) for up to ``timeout_ms``.

    SQLite's own busy handler sleeps 1, 2, 5, 10 … then 100 ms between tries: a writer that
    has waited a while looks again only every 100 ms and the newcomers, still on their 1 ms
    sleeps, take the lock first — with 8 writers a claim's p99 was ~0.4 s though each
    holds the lock ~5 ms. Nothing has been done when ``BEGIN IMMEDIATE`` is refused, so
    trying it again is safe; every later statement keeps the busy timeout."""
    deadline = time.monotonic() + timeout_ms / 1000
    pause = BUSY_PAUSE_MIN
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                code = getattr(exc, "sqlite_errorcode", sqlite3.SQLITE_BUSY)  # extended
                if code & 0xFF != sqlite3.SQLITE_BUSY:
                    raise
                if time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, BUSY_PAUSE_MAX)
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={timeout_ms}")


def _sqlite_fold(value: str | None) -> str | None:
    """SQLite's ``casedesk_fold()``: the search folding (accents, case, punctuation off)."""
    from casedesk.services.knowledge.folding import fold  # light, and only when queried

    return None if value is None else fold(value)


def is_sqlite(bind: Engine | Connection) -> bool:
    """Whether ``bind`` (an engine or one of its connections) talks to SQLite."""
    return bind.dialect.name == "sqlite"



@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads; nothing it does is committed.

    On PostgreSQL the transaction is ``READ ONLY`` (the server refuses a write in it) and
    ends with ``COMMIT``: psycopg forgets every prepared statement of a connection on each
    ``ROLLBACK`` (``DEALLOCATE ALL``), so a read ending in one made the next operation
    parse and plan all of its statements again — two thirds of the server's time."""
    with Session(engine, expire_on_commit=False, autoflush=False) as session:
        if is_sqlite(engine):
            yield session
            return
        session.connection(execution_options={"postgresql_readonly": True})
        yield session
        session.commit()


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
        if is_sqlite(engine) and is_damage(exc):
            raise DatabaseDamaged(
                _("the database file {path} is damaged: {problem}").format(
                    path=engine.url.database, problem=_first_line(exc))
            ) from None
        if needs_password(exc):
            raise PasswordNeeded(
                _("cannot open database {url}: {problem}; give the "
                  "password in PGPASSWORD or ~/.pgpass (or type it when asked)").format(
                    url=mask_url(engine.url), problem=_first_line(exc))
            ) from None
        raise ConfigError(
            _("cannot open database {url}: {problem}; check the URL "
              "(--db or CASEDESK_DATABASE_URL) and that the server is running").format(
                url=mask_url(engine.url), problem=_first_line(exc))
        ) from None
    try:
        yield conn
    finally:
        conn.close()


#: What libpq says when the server wants a password it did not get (or refused).
_PASSWORD_WORDS = ("no password supplied", "password authentication failed")


def needs_password(exc: BaseException) -> bool:
    """Whether a connection error says a (right) password is needed."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(word in text for word in _PASSWORD_WORDS)


#: What SQLite says about a file that is not (or no longer) a sound database.
_DAMAGE_WORDS = ("not a database", "malformed", "corrupt", "disk image")


def is_damage(exc: BaseException) -> bool:
    """Whether a database error says the SQLite file is damaged."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(word in text for word in _DAMAGE_WORDS)


#: Files up to this size get a full ``PRAGMA quick_check(1)`` on every open. Measured
#: (2-core machine): 81 MB / 100k cases 122 ms warm, 281 ms cold; 820 MB / 1M cases
#: 1.0–2.5 s — so ≈ 1.5–3.5 ms per MB, and 16 MiB stays within ~50 ms. Larger files get
#: the partial check below: under 1 ms warm (4–7 ms cold) on the 1M-case file.
FULL_CHECK_MAX_BYTES = 16 * 1024 * 1024
#: Above that, tables that grow with the floor's work are left to ``casedesk db check``;
#: every other table (agents, queues, policies, calendars, counters, the schema …) and
#: any table this list does not know is still checked on open.
GROWING_TABLES = frozenset({
    "case", "case_event", "interaction", "task", "time_entry", "article_link", "contact",
    "account", "account_product", "contract", "contract_line",
})


def _header_problem(path: Path) -> str | None:
    """What is wrong with a SQLite file's 100-byte header, or None (microseconds)."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(100)
    except OSError as exc:
        return _("cannot be read: {reason}").format(reason=exc.strerror or exc)
    if size == 0:
        return None  # a new, empty file: SQLite makes it a database on first write
    if len(head) < 100 or not head.startswith(b"SQLite format 3\x00"):
        return _("it is not a SQLite database (the file does not start with the SQLite "
                 "header)")
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if not 512 <= page_size <= 65536 or page_size & (page_size - 1):
        return _("its header gives an impossible page size ({size})").format(size=page_size)
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None  # pages may still live in the WAL; the checks below would be unsound
    pages = int.from_bytes(head[28:32], "big")
    if pages and head[24:28] == head[92:96] and pages * page_size > size:
        return _("it was cut off: its header counts {pages} pages of {size} bytes, "
                 "the file holds {held}").format(
            pages=f"{pages:,}", size=page_size, held=f"{size // page_size:,}")
    return None


def _check_line(rows: list[str]) -> str:
    """quick_check's first complaint, without SQLite's ``*** in database main ***``."""
    if not rows:
        return _("the check returned nothing")
    return " ".join(rows[0].replace("*** in database main ***", " ").split())


def integrity_check(engine: Engine, *, full: bool = False) -> None:
    """Refuse a damaged SQLite file up front (:class:`DatabaseDamaged`), cheaply.

    Run once per open (:func:`open_database`), so a write into a corrupt file is never
    reported as done: the header is read (magic string, page size, a cut-off file); then
    ``PRAGMA quick_check(1)`` runs on the whole file when it is at most
    :data:`FULL_CHECK_MAX_BYTES` (or ``full``), else on every table but the
    :data:`GROWING_TABLES` (a full check of an 800 MB, million-case file takes about a
    second or two; that is ``casedesk db check``). ``quick_check`` skips ``integrity_check``'s
    index-content cross-check; ``(1)`` stops at the first problem.
    """
    if not is_sqlite(engine):
        return
    path = sqlite_path(engine.url)
    where = _("the database file {path} is damaged").format(path=path)
    problem = _header_problem(path)
    if problem is not None:
        raise DatabaseDamaged(_("{where}: {problem}; restore it from a backup").format(
            where=where, problem=problem))
    try:
        with connect(engine) as conn:
            if full or path.stat().st_size <= FULL_CHECK_MAX_BYTES:
                rows = [r[0] for r in conn.exec_driver_sql("PRAGMA quick_check(1)")]
            else:
                rows = []
                names = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_schema WHERE type = 'table'"
                ).scalars().all()
                for name in ["sqlite_schema", *names]:
                    if name in GROWING_TABLES or "_fts" in name:
                        continue
                    quoted = name.replace('"', '""')
                    rows = [
                        r[0] for r in conn.exec_driver_sql(f'PRAGMA quick_check("{quoted}")')
                    ]
                    if rows != ["ok"]:
                        break
                rows = rows or ["ok"]
    except DBAPIError as exc:
        if is_damage(exc):
            raise DatabaseDamaged(f"{where}: {_first_line(exc)}") from None
        raise
    if rows != ["ok"]:
        raise DatabaseDamaged(
            _("{where}: {problem}; restore it from a backup").format(
                where=where, problem=_check_line(rows))
        )


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return text[0] if text else type(orig).__name__


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Create or upgrade the schema; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    if before is not None and before != SCHEMA_HEAD and before not in known_revisions():
        raise SchemaOutdated(_newer_message(engine, before))
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
            _("database {url} has no casedesk schema: run `casedesk db upgrade`").format(
                url=mask_url(engine.url))
        )
    if current not in known_revisions():
        raise SchemaOutdated(_newer_message(engine, current))
    raise SchemaOutdated(
        _("database {url} is at revision {current}, this casedesk needs {head}: "
          "run `casedesk db upgrade`").format(url=mask_url(engine.url), current=current, head=head)
    )


def known_revisions() -> set[str]:
    """Every revision this program's migrations know."""
    from alembic.script import ScriptDirectory

    return {rev.revision for rev in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}


def _newer_message(engine: Engine, current: str) -> str:
    return _(
        "database {url} is at revision {current}, newer than this casedesk "
        "({head}): this program is older than the database — upgrade casedesk"
    ).format(url=mask_url(engine.url), current=repr(current), head=head_revision())


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


def open_database(
    raw_url: str, *, check: bool = True, create: bool = False, password: str | None = None
) -> Engine:
    """The engine for a URL, verified reachable, sound (SQLite: ``quick_check``) and
    (optionally) at the current schema. A missing SQLite file is an error unless
    ``create`` (see :func:`make_engine`); a server that wants a password raises
    :class:`~casedesk.errors.PasswordNeeded`."""
    engine = make_engine(raw_url, create=create, password=password)
    try:
        integrity_check(engine)
        if check:
            check_schema(engine)
        else:
            with connect(engine):
                pass
    except BaseException:
        engine.dispose()
        raise
    return engine


def may_run_clock(engine: Engine) -> bool:
    """Whether this connection may run the SLA scan: always on SQLite; on PostgreSQL when
    the connected role is a superuser, owns the ``case`` table or has BYPASSRLS (the scan
    changes every team's cases; an agent's role sees and may change only some)."""
    if is_sqlite(engine):
        return True
    with connect(engine) as conn:
        row = conn.execute(
            text(
                "SELECT r.rolsuper OR r.rolbypassrls OR EXISTS ("
                " SELECT 1 FROM pg_class c WHERE c.oid = to_regclass('public.\"case\"')"
                " AND pg_has_role(current_user, c.relowner, 'USAGE'))"
                " FROM pg_roles r WHERE r.rolname = current_user"
            )
        ).scalar()
    return bool(row)
