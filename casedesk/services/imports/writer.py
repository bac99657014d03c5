"""Batches into the database: the transaction modes, and the writer that applies them.

Each batch is one transaction (``batch``), or all batches share one that is committed
only if no row was rejected (``single``, for ``--on-error abort``), or every batch is
rolled back (``dry``). An IntegrityError (somebody wrote the same keys meanwhile) makes a
batch run once more from scratch. A value the database refuses (:func:`refused`: out of
range, not encodable, …) rolls its batch back and the batch is written again one record
per transaction, so that record alone becomes a reject ("the database refused it: …")
and the batch is never half applied; with ``--on-error abort`` the import stops with a
ValidationError and nothing is imported.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError
from sqlmodel import Session

from casedesk.db import is_sqlite, write_session
from casedesk.errors import ValidationError
from casedesk.i18n import _
from casedesk.services.imports.batch import process_batch
from casedesk.services.imports.kinds.base import Ctx, Kind, Pending
from casedesk.services.imports.kinds.customers import TALLY
from casedesk.services.imports.mapping import Mapping
from casedesk.services.imports.readers import Reject
from casedesk.services.imports.summary import ImportOptions, ImportSummary

SQLITE_CACHE_KIB = 128 * 1024


class Transactions:
    """Batch transactions in the mode the options ask for."""

    def __init__(self, engine: Engine, options: ImportOptions) -> None:
        self.engine = engine
        self.mode = "dry" if options.dry_run else ("single" if options.on_error == "abort"
                                                   else "batch")
        self._single: Session | None = None
        self.failed = False

    @property
    def retryable(self) -> bool:
        return self.mode != "single"

    @contextmanager
    def batch(self) -> Iterator[Session]:
        if self.mode == "batch":
            with write_session(self.engine) as session:
                self._tune(session)
                yield session
            return
        if self.mode == "single":
            if self._single is None:
                self._single = self._open()
            yield self._single
            return
        session = self._open()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    def _open(self) -> Session:
        session = Session(self.engine, expire_on_commit=False, autoflush=False)
        if is_sqlite(self.engine):
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        self._tune(session)
        return session

    def _tune(self, session: Session) -> None:
        tune_session(session)

    def finish(self, commit: bool) -> None:
        if self._single is not None:
            if commit:
                self._single.commit()
            else:
                self._single.rollback()
            self._single.close()
            self._single = None


def tune_session(session: Session) -> None:
    """SQLite: room in the page cache for the indexes a large import keeps touching.
    PostgreSQL: key lookups use the indexes even before the table was ever analysed — a
    table filled by this very import has no statistics yet, and the planner would scan
    all of it for every batch's ``= ANY(keys)`` (quadratic: 44 ms per batch at 200,000
    rows and growing)."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    else:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")


class BatchWriter:
    """Writes each batch in its transaction and keeps the file's tallies and rejects.

    On PostgreSQL the writing happens in a thread of its own, so the server works on
    one batch's COPY and commit (psycopg waits without the GIL) while the next batch is
    parsed; batches still commit strictly in order, and the first error is raised in
    the caller at its next ``submit`` or at ``close``. On SQLite a writer thread was
    measured slower (the GIL changes hands around every ``sqlite3_step``), so batches
    are written in the caller's thread.
    """

    def __init__(self, spec: Kind, tx: Transactions, ctx: Ctx, summary: ImportSummary,
                 name: str) -> None:
        self.spec, self.tx, self.ctx, self.summary, self.name = spec, tx, ctx, summary, name
        self.rejects: list[Reject] = []
        self.error: BaseException | None = None
        self.queue: queue.Queue[Any] | None = None
        self.thread: threading.Thread | None = None
        if not is_sqlite(tx.engine):
            self.queue = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._run, name="casedesk-import-writer",
                                           daemon=True)
            self.thread.start()

    def submit(self, batch: list[Pending], groups: dict[int, tuple[Mapping, list[Pending]]]
               ) -> None:
        if self.error is not None:
            self._raise()
        if not batch:
            return
        if self.queue is None:
            self._write(batch, groups)
        else:
            self.queue.put((batch, groups))

    def close(self) -> None:
        """Wait for every batch to be written; raise the writer's error, if any."""
        if self.queue is not None and self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        if self.error is not None:
            self._raise()

    def _raise(self) -> None:
        error, self.error = self.error, None
        assert error is not None
        raise error

    def _run(self) -> None:
        assert self.queue is not None
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is None:
                try:
                    self._write(*item)
                except BaseException as exc:  # noqa: BLE001 - raised again in the caller
                    self.error = exc

    def _write(self, batch: list[Pending], groups: dict[int, tuple[Mapping, list[Pending]]]
               ) -> None:
        try:
            flush_batch(batch, groups, self.spec, self.tx, self.ctx)
        except Exception as exc:
            if not refused(exc):
                raise
            if not self.tx.retryable:
                raise ValidationError(
                    _("{source}: the database refused a record of lines {first}–{last} "
                      "({problem}); nothing imported (--on-error abort)").format(
                        source=self.name, first=batch[0].line, last=batch[-1].end,
                        problem=refusal(exc))
                ) from None
            self._one_by_one(groups)
        tally = {"created": 0, "updated": 0, "unchanged": 0}
        summary = self.summary
        summary.count_customers(self.ctx.cache.pop(TALLY, {}))
        for p in batch:
            if p.reason is None:
                tally[p.status] += 1
            else:
                summary.reject(p, self.name)
                self.rejects.append((p.line, p.end, p.reason, p.cells))
        for status, n in tally.items():
            setattr(summary, status, getattr(summary, status) + n)
        if self.rejects and self.tx.mode == "single":
            self.tx.failed = True


    def _one_by_one(self, groups: dict[int, tuple[Mapping, list[Pending]]]) -> None:
        """Write a refused batch again, one record per transaction, in file order."""
        rows = sorted(((p.line, id(p), mapping, p) for mapping, live in groups.values()
                       for p in live), key=lambda r: (r[0], r[1]))
        for _line, _id, mapping, p in rows:
            _reset(p)
            try:
                flush_batch([p], {id(mapping): (mapping, [p])}, self.spec, self.tx, self.ctx)
                self.summary.count_customers(self.ctx.cache.pop(TALLY, {}))
            except Exception as exc:
                if not refused(exc):
                    raise
                _reset(p)
                p.reason = _("the database refused it: {problem}").format(problem=refusal(exc))


def refused(exc: BaseException) -> bool:
    """Whether ``exc`` is the database (or its driver) refusing a value — an error of
    the data, not of the connection: a DataError, or a Python error raised while a
    statement's parameters were prepared (an integer too large for SQLite, text that
    cannot be encoded)."""
    return isinstance(exc, DataError) or (
        isinstance(exc, StatementError) and not isinstance(exc, DBAPIError))


def refusal(exc: BaseException) -> str:
    """The first line of the database's or driver's own words."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()
    return (text[0] if text else type(orig).__name__)[:200]


def _reset(p: Pending) -> None:
    p.reason, p.status, p.refs, p.row, p.links = None, "", {}, {}, None


def flush_batch(batch: list[Pending], groups: dict[int, tuple[Mapping, list[Pending]]], spec: Kind,
           tx: Transactions, ctx: Ctx) -> None:
    if not groups:
        return
    for attempt in (1, 2):
        ctx.cache[TALLY] = {}  # the customers this attempt writes (counted if it commits)
        try:
            with tx.batch() as session:
                for mapping, live in groups.values():
                    process_batch(session, spec, live, mapping.provided, ctx,
                                  write=not tx.failed)
            return
        except IntegrityError:
            if attempt == 2 or not tx.retryable:
                raise
            for _, live in groups.values():  # somebody wrote the same keys meanwhile: redo
                for p in live:
                    _reset(p)
