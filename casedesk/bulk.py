"""The fastest way each database offers to move a batch of complete rows: the one home of
bulk writes (imports, the SLA scan's events, the demo and the benchmarks).

Inserts leave out the nullable columns that are NULL in every row of the batch. SQLite:
one ``executemany`` of tuples built with ``operator.itemgetter`` and converted column by
column (UTC datetimes to SQLAlchemy's exact SQLite text, JSON to text through a small
cache, booleans to integers) — SQLAlchemy's per-value bind processing would cost more
than SQLite's own work. PostgreSQL: ``COPY … FROM STDIN`` on the session's own psycopg
connection, so the rows are part of the caller's transaction. Every row carries the same
keys and every NOT NULL column (neither path applies Python-side defaults);
:func:`bulk_insert` is the forgiving form for rows that rely on model defaults.

Key lookups (:func:`select_in`) are plain driver SQL (``IN (?, …)`` on SQLite, ``= ANY(%s)``
on PostgreSQL) with SQLAlchemy's result processors applied, which avoids compiling an
expanding ``IN`` of thousands of parameters for every batch.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, cast

import psycopg
from sqlalchemy import JSON, Boolean, Connection, Table, insert
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from casedesk.models.base import UTCDateTime

_encode = json.JSONEncoder(ensure_ascii=False).encode
_JSON_CACHE: dict[Any, str] = {}
_SQLITE_FORMAT = "%04d-%02d-%02d %02d:%02d:%02d.%06d"  # SQLAlchemy's SQLite DateTime text


def json_text(value: Any) -> str | None:
    """JSON text of a value; small flat dicts of strings are cached (extras repeat a lot)."""
    if value is None:
        return None
    if type(value) is dict and len(value) <= 4:
        try:
            key = tuple(value.items())
            hit = _JSON_CACHE.get(key)
        except TypeError:
            return _encode(value)
        if hit is None:
            if len(_JSON_CACHE) > 50_000:
                _JSON_CACHE.clear()
            hit = _JSON_CACHE[key] = _encode(value)
        return hit
    return _encode(value)


def sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: casedesk stores aware UTC times only")
        value = value.astimezone(UTC)
    return _SQLITE_FORMAT % (value.year, value.month, value.day, value.hour, value.minute,
                             value.second, value.microsecond)  # strftime's result, faster


def sqlite_bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "datetime": sqlite_datetime, "json": json_text, "bool": sqlite_bool}
_CONVERTER_NAMES = {convert: name for name, convert in _CONVERTERS.items()}


def _sqlite_converter(column: Any) -> Callable[[Any], Any] | None:
    if isinstance(column.type, UTCDateTime):
        return sqlite_datetime
    if isinstance(column.type, JSON):
        return json_text
    if isinstance(column.type, Boolean):
        return sqlite_bool
    return None


@dataclass(frozen=True)
class PreparedInsert:
    """A batch of rows in the shape the database's fastest path takes (picklable)."""

    dialect: str
    sql: str
    data: list[Any]
    #: (value index, column type) conversions left for ``run_prepared`` (SQLite)
    deferred: tuple[tuple[int, str], ...] = ()


def prepare_insert(dialect: str, table: Table, rows: Sequence[dict[str, Any]], *,
                   defer: bool = False) -> PreparedInsert:
    """Rows → the statement and the values ``run_prepared`` hands to the driver.

    With ``defer`` the SQLite conversions (datetimes and JSON to text) are left for
    :func:`run_prepared`: a parallel import's writing process has time to spare, its
    planning process has none.
    """
    keys = [k for k in rows[0] if not _all_null(table, k, rows)]
    getter = itemgetter(*keys) if len(keys) > 1 else (lambda r: (r[keys[0]],))
    columns = ", ".join(_quote(k) for k in keys)
    data: list[Any]
    if dialect == "sqlite":
        converters = [(i, c) for i, k in enumerate(keys)
                      if (c := _sqlite_converter(table.c[k])) is not None]
        if converters and defer:
            marks = ", ".join("?" for _ in keys)
            return PreparedInsert(
                dialect, f"INSERT INTO {_quote(table.name)} ({columns}) VALUES ({marks})",
                [getter(r) for r in rows],
                tuple((i, _CONVERTER_NAMES[c]) for i, c in converters))
        if converters:
            data = [list(getter(r)) for r in rows]
            for i, convert in converters:
                for values in data:
                    values[i] = convert(values[i])
        else:
            data = [getter(r) for r in rows]
        marks = ", ".join("?" for _ in keys)
        return PreparedInsert(dialect, f"INSERT INTO {_quote(table.name)} ({columns}) "
                              f"VALUES ({marks})", data)
    json_at = [i for i, k in enumerate(keys) if isinstance(table.c[k].type, JSON)]
    if json_at:
        data = [list(getter(r)) for r in rows]
        for i in json_at:
            for values in data:
                values[i] = json_text(values[i])
    else:
        data = [getter(r) for r in rows]
    return PreparedInsert(dialect, f"COPY {_quote(table.name)} ({columns}) FROM STDIN", data)


def run_prepared(session: Session, prepared: PreparedInsert) -> int:
    """Send a prepared batch in the session's transaction; returns the row count."""
    conn = session.connection()
    raw = conn.connection.dbapi_connection
    assert raw is not None and conn.dialect.name == prepared.dialect
    sql = prepared.sql
    if prepared.dialect == "sqlite":
        data = prepared.data
        if prepared.deferred:
            data = [list(values) for values in data]
            for i, name in prepared.deferred:
                convert = _CONVERTERS[name]
                for values in data:
                    values[i] = convert(values[i])
        lite = raw.cursor()
        try:
            lite.executemany(sql, data)
        except sqlite3.Error as exc:
            raise _wrapped(sql, exc) from exc
        finally:
            lite.close()
        return len(prepared.data)
    try:
        pg = cast("psycopg.Connection[Any]", raw)
        if _row_security_active(pg, sql):
            return _insert_instead(pg, sql, prepared.data)
        with pg.cursor() as cursor, cursor.copy(sql) as copy:
            write = copy.write_row
            for values in prepared.data:
                write(values)
    except psycopg.Error as exc:
        raise _wrapped(sql, exc) from exc
    return len(prepared.data)


def fast_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``table`` in the session's transaction; returns the count."""
    if not rows:
        return 0
    return run_prepared(session, prepare_insert(session.connection().dialect.name, table, rows))


_COPY = re.compile(r'^COPY ("[a-z_]+") \(([^)]*)\) FROM STDIN$')


def _row_security_active(pg: psycopg.Connection[Any], copy_sql: str) -> bool:
    """PostgreSQL refuses COPY FROM into a table whose row-level security applies to the
    connected role (an agent's login; the owner and superusers are exempt)."""
    match = _COPY.match(copy_sql)
    table = match.group(1).strip('"') if match else ""
    row = pg.execute("SELECT row_security_active(%s::regclass)", (table,)).fetchone()
    return bool(row and row[0])


def _insert_instead(pg: psycopg.Connection[Any], copy_sql: str, data: list[Any]) -> int:
    """The COPY's rows as one multi-row INSERT executemany (what row security allows)."""
    match = _COPY.match(copy_sql)
    assert match is not None
    marks = ", ".join("%s" for _ in match.group(2).split(","))
    sql = f"INSERT INTO {match.group(1)} ({match.group(2)}) VALUES ({marks})"
    with pg.cursor() as cursor:
        cursor.executemany(sql, data)
    return len(data)


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts; a key missing from a row is NULL) into ``table``; returns the
    count. SQLite: converted as :func:`prepare_insert` does and sent to ``executemany``;
    PostgreSQL: Core ``insert()`` executemany, which applies the models' defaults."""
    if not rows:
        return 0
    if conn.dialect.name != "sqlite":
        conn.execute(insert(table), list(rows))
        return len(rows)
    keys = list(rows[0])
    pairs = [(k, _sqlite_converter(table.c[k])) for k in keys]
    columns = ", ".join(_quote(k) for k in keys)
    sql = f"INSERT INTO {_quote(table.name)} ({columns}) VALUES ({', '.join('?' for _ in keys)})"
    data = [tuple(conv(row.get(k)) if conv else row.get(k) for k, conv in pairs) for row in rows]
    conn.exec_driver_sql(sql, data)
    return len(data)


def _quote(name: str) -> str:
    """An identifier quoted for both databases (casedesk's names are plain lower case)."""
    return f'"{name}"'


def _wrapped(sql: str, exc: Exception) -> DBAPIError:
    """A raw driver error as SQLAlchemy's, so callers handle one family of errors."""
    integrity = isinstance(exc, sqlite3.IntegrityError | psycopg.errors.IntegrityError)
    cls = IntegrityError if integrity else DBAPIError
    return cls(sql, None, exc)


def _all_null(table: Table, key: str, rows: Sequence[dict[str, Any]]) -> bool:
    """A nullable column without a server default that is NULL in every row: leave it
    out of the statement (binding NULLs costs the SQLite driver ~0.3 µs each)."""
    column = table.c[key]
    if not column.nullable or column.server_default is not None or column.primary_key:
        return False
    if rows[0][key] is not None or rows[-1][key] is not None:
        return False
    return list(map(itemgetter(key), rows)).count(None) == len(rows)


def select_in(
    session: Session, table: Table, columns: Sequence[str], key: str, values: Sequence[Any]
) -> list[tuple[Any, ...]]:
    """``SELECT columns FROM table WHERE key IN values``, values typed as SQLAlchemy would."""
    if not values:
        return []
    conn = session.connection()
    dialect = conn.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    processors = [table.c[c].type._cached_result_processor(dialect, None) for c in columns]
    if dialect.name == "sqlite":
        marks = ", ".join("?" for _ in values)
        sql = f"SELECT {names} FROM {quote(table.name)} WHERE {quote(key)} IN ({marks})"
        rows = conn.exec_driver_sql(sql, tuple(values)).fetchall()
    else:
        sql = f"SELECT {names} FROM {quote(table.name)} WHERE {quote(key)} = ANY(%s)"
        rows = conn.exec_driver_sql(sql, (list(values),)).fetchall()
    if not any(processors):
        return [tuple(r) for r in rows]
    out = []
    for r in rows:
        out.append(tuple(p(v) if p is not None else v for p, v in zip(processors, r,
                                                                         strict=True)))
    return out
