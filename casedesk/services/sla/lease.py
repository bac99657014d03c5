"""The clock that runs by itself: a periodic job (the SLA scan) run from whichever process
holds its lease, each tick exactly once.

Every open workstation and every ``casedesk worker`` takes part (:class:`ClockRunner`);
each is a *participant* named ``host:pid:who`` (:func:`participant`). Time is cut into
ticks: tick ``n`` is ``floor(epoch seconds / tick seconds)``.

**The lease** (one ``clock_lease`` row per job, e.g. ``"sla"``) says who runs the job:

* PostgreSQL: a session-level ``pg_try_advisory_lock`` held on a dedicated connection for
  as long as the process holds the lease. A holder that dies closes its connection and the
  server frees the lock at once: another participant takes it at its next tick.
* SQLite: the row itself, taken in a ``BEGIN IMMEDIATE`` transaction: ``holder`` and
  ``holder_until`` = the start of tick ``n + 2``, renewed every tick. Anyone may take it
  once ``holder_until`` has come, so a dead holder is replaced within two ticks.

Both record the holder in the row (the supervisor view reads it).

**Exactly once per tick**: the holder claims tick ``n`` with one guarded
``UPDATE clock_lease SET last_tick = n, last_run_at, last_run_by … WHERE last_tick < n``
(the runner's form: no run since tick ``n`` began, which also holds for participants with
different intervals, whose tick numbers differ);
only the process whose UPDATE changed the row runs the scan, so even two holders by mistake
(a lease taken over from a holder that was only slow) cannot both run a tick. The scan works
in its own chunked transactions (:func:`casedesk.services.sla.scanner.scan`), so its
duration and report (``last_seconds``, ``last_report``) are written by a second UPDATE once
it is done, guarded by the same tick and holder. A holder that dies mid-scan leaves a tick
half done: the scan is idempotent, and the next tick finishes the work.

The runner never raises: a failed tick is logged once (until the clock runs again) and
retried at the next tick; an unreachable database is waited out the same way.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from casedesk.db import is_sqlite, write_session
from casedesk.durations import ago
from casedesk.i18n import _, ngettext
from casedesk.models import ClockLease
from casedesk.models.base import table_of
from casedesk.services.context import Desk
from casedesk.services.queries.views import ScanReport

log = logging.getLogger(__name__)

#: The SLA scan's job name (its ``clock_lease`` row).
SLA_JOB = "sla"
_LEASE = table_of(ClockLease)

#: What a runner runs at each tick: the desk and the tick's instant → a report.
Job = Callable[[Desk, datetime], ScanReport]


def participant(who: str) -> str:
    """This process's name in the lease: ``host:pid:who`` (who: a login or ``worker``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{who}"[:200]


def tick_of(at: datetime, tick_seconds: float) -> int:
    """The number of the tick ``at`` falls in."""
    return math.floor(at.timestamp() / tick_seconds)


def tick_start(tick: int, tick_seconds: float) -> datetime:
    """When tick number ``tick`` begins."""
    return datetime.fromtimestamp(tick * tick_seconds, UTC)


def advisory_key(name: str) -> int:
    """The PostgreSQL advisory lock key of a job (stable across processes and versions)."""
    return zlib.crc32(f"casedesk.clock.{name}".encode())


@dataclass(frozen=True)
class TickRun:
    """One tick this process ran."""

    tick: int
    by: str
    at: datetime
    seconds: float
    report: ScanReport

    def line(self) -> str:
        """``tick 29382 ran by host:123:worker in 0.01 s: 2 breaches, 1 warning``."""
        return _("tick {tick} ran by {by} in {seconds} s: {summary}").format(
            tick=self.tick, by=self.by, seconds=f"{self.seconds:.2f}",
            summary=scan_summary(self.report.counts()))


def scan_summary(counts: Mapping[str, int]) -> str:
    """What a scan recorded, in words: ``2 breaches, 1 warning, 1 escalated`` or
    ``nothing to record``."""
    def total(suffix: str) -> int:
        return sum(v for k, v in counts.items() if k.endswith(suffix))

    parts = []
    breaches, warnings = total("_breach"), total("_warning")
    inactive = counts.get("inactive", 0) + counts.get("inactive_task", 0)
    if breaches:
        parts.append(ngettext("{n} breach", "{n} breaches", breaches).format(n=breaches))
    if warnings:
        parts.append(ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings))
    if inactive:
        parts.append(ngettext("{n} inactive", "{n} inactive", inactive).format(n=inactive))
    if n := counts.get("escalated"):
        parts.append(ngettext("{n} escalated", "{n} escalated", n).format(n=n))
    if n := counts.get("autoclosed"):
        parts.append(ngettext("{n} closed automatically", "{n} closed automatically", n)
                     .format(n=n))
    if n := counts.get("assigned"):
        parts.append(ngettext("{n} waiting assigned", "{n} waiting assigned", n).format(n=n))
    return ", ".join(parts) or _("nothing to record")


# --- the lease row -------------------------------------------------------------------


def _ensure_row(session: Session, name: str) -> None:
    """Create the job's row if it is missing (two processes may race to: no error)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(_LEASE).values(name=name, last_tick=0).on_conflict_do_nothing()
    )


def claim_tick(
    desk: Desk, name: str, tick: int, by: str, at: datetime, tick_seconds: float | None = None
) -> bool:
    """Claim tick ``tick`` for ``by``: True for exactly one caller per tick, whoever asks.

    The guard is ``last_tick < tick``. With ``tick_seconds`` (what the runner passes) it is
    "no run since this tick began" instead, the same for participants of one interval but
    also right for different ones (a worker started with ``--every 5`` beside workstations
    ticking every minute), whose tick numbers cannot be compared.
    """
    not_run: Any = _LEASE.c.last_tick < tick
    if tick_seconds is not None:
        not_run = and_(
            _LEASE.c.last_tick != tick,
            or_(
                _LEASE.c.last_run_at.is_(None),
                _LEASE.c.last_run_at < tick_start(tick, tick_seconds),
            ),
        )
    with write_session(desk.engine) as session:
        _ensure_row(session, name)
        result = session.execute(
            update(_LEASE)
            .where(_LEASE.c.name == name, not_run)
            .values(last_tick=tick, last_run_at=at, last_run_by=by,
                    last_seconds=None, last_report=None)
        )
        return bool(getattr(result, "rowcount", 0) == 1)


def record_run(
    desk: Desk, name: str, tick: int, by: str, seconds: float, report: dict[str, Any]
) -> None:
    """Write how long the claimed tick took and what it recorded."""
    with write_session(desk.engine) as session:
        session.execute(
            update(_LEASE)
            .where(_LEASE.c.name == name, _LEASE.c.last_tick == tick, _LEASE.c.last_run_by == by)
            .values(last_seconds=seconds, last_report=report)
        )


class Lease:
    """One participant's hold on a job's lease (see the module docstring)."""

    def __init__(self, desk: Desk, holder: str, *, name: str = SLA_JOB,
                 tick_seconds: float) -> None:
        self.desk = desk
        self.holder = holder
        self.name = name
        self.tick_seconds = tick_seconds
        self._conn: Connection | None = None  # PostgreSQL: the one holding the lock
        self._held = False

    @property
    def held(self) -> bool:
        """Whether this participant held the lease at its last :meth:`hold`."""
        return self._held

    def hold(self, tick: int) -> bool:
        """Take or renew the lease for tick ``tick``; False while someone else holds it."""
        until = tick_start(tick + 2, self.tick_seconds)
        if is_sqlite(self.desk.engine):
            self._held = self._hold_row(self.desk.now(), until)
        else:
            self._held = self._hold_lock() and self._record_holder(until)
        return self._held

    def _hold_row(self, now: datetime, until: datetime) -> bool:
        with write_session(self.desk.engine) as session:
            _ensure_row(session, self.name)
            result = session.execute(
                update(_LEASE)
                .where(
                    _LEASE.c.name == self.name,
                    or_(
                        _LEASE.c.holder.is_(None),
                        _LEASE.c.holder == self.holder,
                        _LEASE.c.holder_until.is_(None),
                        _LEASE.c.holder_until <= now,
                    ),
                )
                .values(holder=self.holder, holder_until=until)
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    def _hold_lock(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.exec_driver_sql("SELECT 1")
                return True
            except Exception:  # noqa: BLE001 - a dead connection has lost the lock
                self.forget()
        conn = self.desk.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(self.name)}
            ).scalar()
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def _record_holder(self, until: datetime) -> bool:
        with write_session(self.desk.engine) as session:
            _ensure_row(session, self.name)
            session.execute(
                update(_LEASE)
                .where(_LEASE.c.name == self.name)
                .values(holder=self.holder, holder_until=until)
            )
        return True

    def forget(self) -> None:
        """Drop the PostgreSQL connection (closing it frees its lock) without a word to
        the database: for a connection that is already broken."""
        conn, self._conn, self._held = self._conn, None, False
        if conn is not None:
            with suppress(Exception):
                conn.invalidate()
            with suppress(Exception):
                conn.close()

    def release(self) -> None:
        """Give the lease up (at exit), so another participant takes it at its next tick."""
        was_held = self._held
        self.forget()
        if was_held:
            with write_session(self.desk.engine) as session:
                session.execute(
                    update(_LEASE)
                    .where(_LEASE.c.name == self.name, _LEASE.c.holder == self.holder)
                    .values(holder=None, holder_until=None)
                )


# --- the runner ----------------------------------------------------------------------


def _scan(desk: Desk, now: datetime) -> ScanReport:
    """The clock's work: the SLA scan, then the waiting cases of assigning queues offered
    again (``workflow.backlog``). Imported when first run: the scan's bulk writes load the
    PostgreSQL driver, which the workstation's first screen does without. (The one place
    the SLA side calls the workflow: the clock is the floor's, not only the SLA's.)"""
    from casedesk.services.sla import scanner
    from casedesk.services.workflow import backlog

    report = scanner.scan(desk, now)
    report.assigned = len(backlog.offer_waiting(desk, now))
    return report


class ClockRunner:
    """Runs a job every ``tick_seconds`` when this participant holds the lease.

    :meth:`step` is one attempt (for ``casedesk worker --once`` and tests); :meth:`run`
    loops until ``stop`` is set and never raises.
    """

    def __init__(
        self,
        desk: Desk,
        who: str,
        *,
        tick_seconds: float,
        name: str = SLA_JOB,
        job: Job | None = None,
        on_tick: Callable[[TickRun], None] | None = None,
    ) -> None:
        """``job`` defaults to the SLA scan; ``on_tick`` hears of every tick run here."""
        if tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        self.desk = desk
        self.who = participant(who)
        self.tick_seconds = tick_seconds
        self.name = name
        self.job = job or _scan
        self.on_tick = on_tick
        self.lease = Lease(desk, self.who, name=name, tick_seconds=tick_seconds)

    def step(self) -> TickRun | None:
        """Hold (or take) the lease and run the current tick if nobody has: the run, or
        None (someone else holds the lease, or this tick already ran)."""
        now = self.desk.now()
        tick = tick_of(now, self.tick_seconds)
        if not self.lease.hold(tick):
            return None
        if not claim_tick(self.desk, self.name, tick, self.who, now, self.tick_seconds):
            return None
        started = time.perf_counter()
        report = self.job(self.desk, now)
        seconds = time.perf_counter() - started
        data = report.to_json() | {
            "counts": report.counts(),
            "total": report.total,
            "tick_seconds": self.tick_seconds,
        }
        record_run(self.desk, self.name, tick, self.who, seconds, data)
        return TickRun(tick, self.who, now, seconds, report)

    def seconds_to_next_tick(self) -> float:
        """How long to wait for the next tick to begin (a little past its start)."""
        now = self.desk.now()
        start = tick_start(tick_of(now, self.tick_seconds) + 1, self.tick_seconds)
        margin = min(0.05, self.tick_seconds / 50)
        return max(margin, (start - now) / timedelta(seconds=1) + margin)

    def run(self, stop: threading.Event) -> None:
        """Take part until ``stop`` is set; then give the lease up. Never raises."""
        failing = False
        try:
            while not stop.is_set():
                try:
                    result = self.step()
                except Exception:  # noqa: BLE001 - a background clock survives a bad tick
                    if not failing:
                        log.warning("the SLA clock could not run; retrying at every tick",
                                    exc_info=True)
                    failing = True
                    self.lease.forget()
                else:
                    if failing:
                        log.warning("the SLA clock runs again")
                    failing = False
                    if result is not None and self.on_tick is not None:
                        try:
                            self.on_tick(result)
                        except Exception:  # noqa: BLE001 - a reporting problem is not the clock's
                            log.warning("reporting a tick failed", exc_info=True)
                stop.wait(self.seconds_to_next_tick())
        finally:
            self.close()

    def close(self) -> None:
        """Give the lease up; quietly when the database cannot be reached."""
        try:
            self.lease.release()
        except Exception:  # noqa: BLE001 - the row's time limit frees it anyway
            self.lease.forget()


def run_clock(
    desk: Desk,
    who: str,
    stop: threading.Event,
    tick_seconds: float,
    *,
    on_tick: Callable[[TickRun], None] | None = None,
) -> None:
    """Take part in running the SLA scan every ``tick_seconds`` until ``stop`` is set."""
    ClockRunner(desk, who, tick_seconds=tick_seconds, on_tick=on_tick).run(stop)


def lease_row(session: Session, name: str = SLA_JOB) -> ClockLease | None:
    """The job's lease row (None before any participant ran)."""
    row: ClockLease | None = session.execute(
        select(ClockLease).where(col(ClockLease.name) == name)
    ).scalar_one_or_none()
    return row


def late_after(tick_seconds: float) -> timedelta:
    """A clock with no tick for longer than this (two intervals) is late."""
    return timedelta(seconds=2 * tick_seconds)


def clock_sentence(
    *,
    last_run_at: datetime | None,
    last_run_by: str | None,
    last_seconds: float | None,
    summary: str,
    late: bool,
    tick_seconds: float,
    now: datetime,
    local: Callable[[datetime], str],
) -> str:
    """The clock in one plain sentence (the supervisor panel and ``sla status``)."""
    every = _("every {seconds} s").format(seconds=f"{tick_seconds:g}")
    if last_run_at is None:
        return _("The SLA clock has never run ({every}): no workstation or worker has run it "
                 "yet.").format(every=every)
    by = last_run_by or _("an unknown process")
    if last_seconds is not None:
        ran = _("at {at} by {by} in {seconds} s: {summary}").format(
            at=local(last_run_at), by=by, seconds=f"{last_seconds:.2f}", summary=summary)
    else:
        ran = _("at {at} by {by} (still running): {summary}").format(
            at=local(last_run_at), by=by, summary=summary)
    if late:
        return _(
            "The SLA clock is late: it last ran {ago}, more than two "
            "intervals ({every}), {ran}. Start a workstation or `casedesk worker`."
        ).format(ago=ago(last_run_at, now), every=every, ran=ran)
    return _("The SLA clock last ran {ago}, {ran}. It runs {every}.").format(
        ago=ago(last_run_at, now), ran=ran, every=every)
