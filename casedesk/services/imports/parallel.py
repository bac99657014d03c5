"""Large files on two cores: a planning process reads, validates and classifies each batch;
the importing process only writes it.

An import is CPU-bound in Python: reading, mapping, validating and classifying a row costs
about as much as the database's own insert. For kinds whose writes are plain inserts and
updates (interactions that name no customer; contacts and accounts are matched against the
batches before them, so they stay in one process) a large file is split across two
processes:

* the *planner* (spawned, so no state is shared by accident) reads the file with the same
  code as a one-process import, resolves references and looks up existing keys in a read
  transaction of its own, and sends each batch as ready-to-run statements and values —
  plus its tallies and rejected rows — through a pipe;
* the importing process writes each batch in its own transaction, in file order, after
  checking that none of the batch's new keys appeared since the planner looked (another
  import of the same records). The pipe holds one batch, so planning and writing overlap.

Anything unexpected — a key that appeared meanwhile, an integrity error, the planner
failing or dying — stops the two-process pass at a batch boundary; the caller continues
in one process from the first batch not written, so every row is still imported exactly
once or rejected with its reason. Batches already written stay written (each is one
transaction, as in a one-process import); the planner only ever reads.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import zoneinfo
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from casedesk.bulk import PreparedInsert, prepare_insert, run_prepared, select_in
from casedesk.db import make_engine, read_session
from casedesk.i18n import _, language, set_language
from casedesk.services.context import Actor, Desk
from casedesk.services.imports.batch import plan_batch
from casedesk.services.imports.kinds.base import Ctx, Kind, Pending, prepare_cache
from casedesk.services.imports.kinds.registry import KINDS
from casedesk.services.imports.readers import Reject, Source, open_source
from casedesk.services.imports.refs import chunks
from casedesk.services.imports.stream import Groups, header_mapping, options_parsers, read_batches
from casedesk.services.imports.summary import ImportOptions, ImportSummary, Progress
from casedesk.services.imports.writer import Transactions, refused, tune_session

#: Files at least this large are planned in a second process (about 50,000 rows of a
#: typical interactions export); below it the planner's start (~0.5 s) is not worth it.
PARALLEL_MIN_BYTES = 8 * 1024 * 1024
_POLL_S = 0.5
#: Planned batches held in memory ahead of the writer (each ~1 MB for 5,000 rows)
_AHEAD = 3


@dataclass(frozen=True)
class PlanRequest:
    """What the planner needs to read the file exactly as the importing process would."""

    url: str
    kind: str
    path: str
    options: ImportOptions
    actor: Actor | None
    now: Any
    source_name: str
    #: the importing process's language: the planner writes rejection reasons in it
    language: str = "en"


@dataclass
class Write:
    """One mapping's share of a batch: rows to insert, records to update."""

    keys: list[str]
    insert: PreparedInsert | None
    update_names: tuple[str, ...] = ()
    update_params: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Planned:
    """A batch, planned: records ``first`` … ``first + read - 1`` of the file."""

    first: int
    read: int
    created: int
    updated: int
    unchanged: int
    rejects: list[Reject]
    writes: list[Write]
    position: int
    total: int
    #: coded values of this batch's rejected rows that no map knows (ImportSummary.unmapped)
    unmapped: dict[str, dict[str, list[Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Stopped:
    """The planner could not go on at record ``first`` (the caller continues alone)."""

    first: int
    reason: str


DONE = "done"


class _Appeared(Exception):
    """A key the planner saw as new exists now."""


def use_two_processes(desk: Desk, spec: Kind, source: Source, tx: Transactions,
                      options: ImportOptions) -> bool:
    """Whether this file is planned in a second process (see the module docstring)."""
    if options.parallel is False or tx.mode != "batch" or not spec.plain_writes:
        return False
    if os.name != "posix":  # the planner's pipe is passed as a file descriptor
        return False
    url = desk.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return False
    if options.parallel:
        return True
    if (os.cpu_count() or 1) < 2:
        return False
    try:
        return Path(source.path).stat().st_size >= PARALLEL_MIN_BYTES
    except OSError:
        return False


def import_in_two_processes(
    desk: Desk,
    spec: Kind,
    source: Source,
    options: ImportOptions,
    ctx: Ctx,
    summary: ImportSummary,
    rejects: list[Reject],
    progress: Progress | None,
    tx: Transactions,
) -> tuple[int, bool]:
    """Import ``source`` with a planner process; returns (records written or rejected,
    whether that is the whole file)."""
    request = PlanRequest(
        url=desk.engine.url.render_as_string(hide_password=False), kind=spec.name,
        path=str(source.path), options=options, actor=ctx.actor, now=ctx.now,
        source_name=source.name, language=language(),
    )
    try:
        planner, receiver = _start_planner(request)
    except (OSError, ValueError):  # no process to spare, or no fd passing (not POSIX)
        return 0, False
    handled = 0
    inbox: queue.Queue[Any] = queue.Queue(maxsize=_AHEAD)
    fetcher = threading.Thread(target=_fetch, args=(receiver, planner, inbox),
                               name="casedesk-import-receiver", daemon=True)
    fetcher.start()
    try:
        while True:
            message = inbox.get()
            if message == DONE:
                return handled, True
            if not isinstance(message, Planned):
                if isinstance(message, Stopped):
                    summary.warnings.append(_(
                        "{source}: the second process stopped at record {record} ({problem}); "
                        "the rest was imported in one process").format(
                            source=source.name, record=message.first + 1,
                            problem=message.reason))
                return handled, False
            try:
                _write(tx, spec, message)
            except (_Appeared, IntegrityError):
                return handled, False
            except Exception as exc:
                if not refused(exc):
                    raise
                return handled, False  # written again here, one record at a time
            handled = message.first + message.read
            _tally(summary, message, rejects, source.name)
            if progress is not None:
                progress(source.name, summary.read, message.position, message.total)
    finally:
        if planner.poll() is None:
            planner.terminate()
        while fetcher.is_alive():  # let it finish a put it may be blocked in
            with contextlib.suppress(queue.Empty):
                inbox.get_nowait()
            fetcher.join(0.05)
        receiver.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            planner.wait(10)


def _start_planner(request: PlanRequest) -> tuple[subprocess.Popen[bytes], Connection]:
    """``python -m casedesk.services.imports.planner FD``: the request on its stdin, its
    messages back through the pipe FD (a plain subprocess rather than multiprocessing's
    spawn, which would re-run the caller's main module in the child)."""
    read_fd, write_fd = os.pipe()
    try:
        planner = subprocess.Popen(
            [sys.executable, "-m", "casedesk.services.imports.planner", str(write_fd)],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(write_fd,), close_fds=True,
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    assert planner.stdin is not None
    with contextlib.suppress(OSError):  # it died at once: _receive sees that
        pickle.dump(request, planner.stdin)
    with contextlib.suppress(OSError):
        planner.stdin.close()
    return planner, Connection(read_fd, writable=False)


def _fetch(receiver: Connection, planner: subprocess.Popen[bytes], inbox: queue.Queue[Any]
           ) -> None:
    """Receive the planner's messages ahead of the writer (so the planner never waits for
    a commit); ends with DONE or None."""
    while True:
        message = _receive(receiver, planner)
        inbox.put(message)
        if not isinstance(message, Planned):
            return


def _receive(receiver: Connection, planner: subprocess.Popen[bytes]) -> Any:
    """The planner's next message; None if it died without one."""
    while not receiver.poll(_POLL_S):
        if planner.poll() is not None and not receiver.poll(0):
            return None
    try:
        return receiver.recv()
    except Exception:  # noqa: BLE001 - a broken pipe or message: carry on alone
        return None


def _write(tx: Transactions, spec: Kind, message: Planned) -> None:
    """One planned batch in one transaction."""
    if not message.writes:
        return
    table = spec.table
    # a key that appeared since the planner looked makes the unique key refuse the insert
    # (IntegrityError); only a key without a unique constraint needs looking up first
    unique = _unique(table, spec.key)
    with tx.batch() as session:
        for write in message.writes:
            for part in () if unique else chunks(write.keys):
                if select_in(session, table, [spec.key], spec.key, part):
                    raise _Appeared
            if write.insert is not None:
                run_prepared(session, write.insert)
            if write.update_names:
                session.execute(spec.update_statement(write.update_names), write.update_params)


def _unique(table: Any, key: str) -> bool:
    column = table.c[key]
    if column.unique or column.primary_key:
        return True
    return any(
        getattr(c, "columns", None) is not None and list(c.columns.keys()) == [key]
        for c in (*table.constraints, *(i for i in table.indexes if i.unique))
    )


def _tally(summary: ImportSummary, message: Planned, rejects: list[Reject],
           name: str) -> None:
    summary.read += message.read
    summary.created += message.created
    summary.updated += message.updated
    summary.unchanged += message.unchanged
    summary.add_unmapped(message.unmapped)
    for line, end, reason, cells in message.rejects:
        summary.reject_line(line, reason, name)
        rejects.append((line, end, reason, cells))


# --- the planner process ---------------------------------------------------------------


def plan_file(request: PlanRequest, out: Any) -> None:
    """The planner's body: every batch of the file, planned, into ``out``."""
    first = 0
    engine: Engine | None = None
    source: Source | None = None
    gc.disable()  # millions of acyclic objects (see run._no_cyclic_gc)
    try:
        options = request.options
        spec = KINDS[request.kind]()
        overrides, parsers = options_parsers(spec, options, zoneinfo.ZoneInfo(options.timezone))
        ctx = Ctx(request.actor, request.now, request.source_name,
                  default_queue=options.queue)
        engine = make_engine(request.url)
        with read_session(engine) as session:
            prepare_cache(session, ctx)
        source = open_source(Path(request.path), encoding=options.encoding,
                             delimiter=options.delimiter, sheet=options.sheet)
        fixed = header_mapping(source, spec, overrides, parsers)
        unmapped: dict[str, dict[str, list[Any]]] = {}
        for batch, groups in read_batches(source, fixed, spec, overrides, parsers,
                                          options.batch_size, unmapped=unmapped):
            planned = _plan(engine, spec, batch, groups, ctx, first, source)
            planned.unmapped = dict(unmapped)  # read_batches keeps adding to this one
            unmapped.clear()
            out.send(planned)
            first += len(batch)
        out.send(DONE)
    except (BrokenPipeError, EOFError):
        return  # the importing process has gone away
    except BaseException as exc:  # noqa: BLE001 - the importing process carries on alone
        with contextlib.suppress(Exception):
            out.send(Stopped(first, f"{type(exc).__name__}: {exc}"))
    finally:
        if source is not None:
            source.close()
        if engine is not None:
            engine.dispose()
        out.close()


class WritesFirst(Exception):
    """A batch whose planning writes (:meth:`Kind.plans_writes`): the planner stops there
    and the importing process carries on alone."""


def _plan(engine: Engine, spec: Kind, batch: list[Pending], groups: Groups, ctx: Ctx,
          first: int, source: Source) -> Planned:
    writes: list[Write] = []
    dialect = engine.dialect.name
    with read_session(engine) as session:
        tune_session(session)
        for mapping, live in groups.values():
            if spec.plans_writes(mapping.provided):  # JSON Lines records naming customers
                raise WritesFirst(_("its records name customers, written in one process"))
            plan = plan_batch(session, spec, live, mapping.provided, ctx)
            insert = prepare_insert(dialect, spec.table, [p.row for p in plan.new],
                                    defer=True) if plan.new else None
            write = Write([p.key for p in plan.new], insert)
            if plan.changed:
                write.update_names, write.update_params = spec.update_params(plan.changed,
                                                                             plan.cols)
            writes.append(write)
    tally = {"created": 0, "updated": 0, "unchanged": 0}
    rejects: list[Reject] = []
    for p in batch:
        if p.reason is None:
            tally[p.status] += 1
        else:
            rejects.append((p.line, p.end, p.reason, p.cells))
    return Planned(first, len(batch), tally["created"], tally["updated"], tally["unchanged"],
                   rejects, writes, source.position(), source.total)


def planner_main(argv: list[str]) -> None:
    """Entry of the planner process (``python -m casedesk.services.imports.planner FD``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl-c is the importing process's to act on
    out = Connection(int(argv[1]), readable=False)
    request = pickle.load(sys.stdin.buffer)
    set_language(request.language)
    plan_file(request, out)
