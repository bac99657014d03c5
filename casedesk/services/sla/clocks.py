"""SLA clocks: which policy a case gets, its deadlines, pauses, and their states.

Semantics (DESIGN §SLA), as implemented here:

* A case gets the first active policy (by ``position``) whose ``match`` fits its
  priority, severity, customer tier, contract and queue; with none, no deadlines.
* Targets are business time on the policy's calendar (24×7 UTC when it has none).
  ``resolution_due = calendar.add(created_at, target + paused)``, where ``paused``
  is the business time the case has spent awaiting the customer (or resolved and
  then reopened). So pausing, resuming and changing policy all keep paused time.
* Paused states are ``awaiting_customer``, ``resolved`` and ``closed``: the business
  time spent in them is folded into ``paused_seconds`` on every status change, so a
  reopened case does not count the time it was resolved or closed.
* While paused, the resolution deadline is not running: it is not scanned and does not
  count for "most urgent first". First and next response keep running while the case
  awaits the customer (the customer may write; an agent must still answer).
* ``first_response_at`` is set by the first outbound interaction on the case, or by
  opening the case during the inbound call. ``next_response_due`` starts at each
  inbound customer contact (when no next response is already running) and is met by
  the next outbound one; a new cycle clears the previous cycle's warning/breach bits.
* Each warning and breach is a bit in ``sla_flags``: recorded once, never cleared (only
  the next-response bits, per cycle). Writers set bits with SQL (``sla_flags | bit``,
  see :func:`flags_expr`), never by writing a value read earlier, so a concurrent scan's
  bits are never lost.
* ``*_warn`` columns are the scan's *next check* for each clock: the warning time while
  nothing was recorded, the due time once the warning was recorded, NULL once the clock
  breached or stopped. :func:`deadlines` keeps that invariant, so a rescan finds
  nothing in the warn-column index ranges (see :mod:`casedesk.services.sla.scanner`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import IntFlag, StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from casedesk.models import (
    Account,
    BusinessCalendarRow,
    Case,
    ContractLine,
    Queue,
    SlaPolicy,
    Status,
)
from casedesk.services.sla.calendar import BusinessCalendar

#: The three clocks of a case, in the order people read them.
CLOCKS = ("first_response", "next_response", "resolution")

#: Until a list has fetched a case's warning time, the row shows ``warning`` once this
#: share of the span from creation to its nearest deadline has gone (the default threshold).
LIST_WARNING_SHARE = 0.8

#: Sort key for cases with no running deadline (paused, resolved, no policy).
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class Flag(IntFlag):
    """Bits of ``case.sla_flags``: what has been recorded for each clock."""

    FIRST_RESPONSE_WARNED = 1
    FIRST_RESPONSE_BREACHED = 2
    NEXT_RESPONSE_WARNED = 4
    NEXT_RESPONSE_BREACHED = 8
    RESOLUTION_WARNED = 16
    RESOLUTION_BREACHED = 32
    INACTIVE = 64
    ESCALATED = 128
    FIRST_RESPONSE_MET = 256
    RESOLUTION_MET = 512


class TaskFlag(IntFlag):
    """Bits of ``task.sla_flags``."""

    WARNED = 1
    BREACHED = 2
    INACTIVE = 4
    MET = 8


#: Statuses in which the first-response, next-response and inactivity clocks run.
OPEN = ("new", "in_progress", "awaiting_customer")
#: Statuses in which the resolution clock runs (awaiting_customer pauses it).
RUNNING = ("new", "in_progress")
#: Statuses that pause the resolution clock (the time is added back on leaving them).
PAUSED = ("awaiting_customer", "resolved", "closed")
#: The bits (warned, breached) of each case clock.
CLOCK_BITS: dict[str, tuple[Flag, Flag]] = {
    "first_response": (Flag.FIRST_RESPONSE_WARNED, Flag.FIRST_RESPONSE_BREACHED),
    "next_response": (Flag.NEXT_RESPONSE_WARNED, Flag.NEXT_RESPONSE_BREACHED),
    "resolution": (Flag.RESOLUTION_WARNED, Flag.RESOLUTION_BREACHED),
}
_ALL_BITS = 0x7FFFFFFF


def flags_expr(set_bits: int = 0, clear_bits: int = 0) -> Any:
    """SQL for ``sla_flags`` with bits set and cleared, relative to the stored value."""
    expr: Any = col(Case.sla_flags)
    if clear_bits:
        expr = expr.bitwise_and(_ALL_BITS & ~int(clear_bits)).self_group()
    if set_bits:
        expr = expr.bitwise_or(int(set_bits)).self_group()
    return expr


def clock_data(clock: str, due: datetime | None, **extra: Any) -> dict[str, Any]:
    """The ``data`` of an SLA case event: which clock and its deadline."""
    return {"clock": clock, "due": due.isoformat() if due else None, **extra}


class ClockState(StrEnum):
    """What an agent sees for one clock: the one SLA vocabulary everywhere."""

    ok = "ok"
    warning = "warning"
    breached = "breached"
    paused = "paused"
    met = "met"


ALWAYS_OPEN = BusinessCalendar("UTC", {d: [("00:00", "24:00")] for d in range(7)})


@lru_cache(maxsize=64)
def _calendar_cached(
    timezone: str,
    hours: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
    holidays: tuple[str, ...],
    recurring: tuple[tuple[int, int], ...],
    country: str | None,
    subdivision: str | None,
) -> BusinessCalendar:
    return BusinessCalendar(
        timezone,
        {int(day): list(ivs) for day, ivs in hours},
        holidays=[date.fromisoformat(d) for d in holidays],
        recurring_holidays=list(recurring),
        country=country,
        subdivision=subdivision,
    )


def calendar_from_row(row: BusinessCalendarRow | None) -> BusinessCalendar:
    """The :class:`BusinessCalendar` of a stored calendar (cached by content)."""
    if row is None:
        return ALWAYS_OPEN
    hours = tuple(
        sorted((str(k), tuple((str(a), str(b)) for a, b in v)) for k, v in row.hours.items())
    )
    return _calendar_cached(
        row.timezone,
        hours,
        tuple(row.holidays or ()),
        tuple((int(m), int(d)) for m, d in (row.recurring_holidays or ())),
        row.country,
        row.subdivision,
    )


@dataclass
class ClockFacts:
    """The facts of a case that its SLA clocks depend on (a cheap stand-in for a row)."""

    created_at: datetime
    status: str
    sla_flags: int = 0
    paused_seconds: int = 0
    paused_at: datetime | None = None
    first_response_at: datetime | None = None
    last_activity_at: datetime | None = None
    first_response_due: datetime | None = None
    next_response_due: datetime | None = None
    resolution_due: datetime | None = None

    @classmethod
    def of(cls, case: Any, **changes: Any) -> ClockFacts:
        """The facts of ``case`` (a row or facts) with ``changes`` applied."""
        names = cls.__dataclass_fields__
        values = {name: getattr(case, name) for name in names}
        values.update({k: v for k, v in changes.items() if k in names})
        return cls(**values)


@dataclass(frozen=True)
class PolicyTargets:
    """A policy with its calendar, resolved for computing deadlines."""

    id: int | None
    name: str | None
    calendar: BusinessCalendar
    first_response: timedelta | None
    next_response: timedelta | None
    resolution: timedelta | None
    inactivity: timedelta | None
    warning_percent: int
    autoclose: timedelta | None
    escalation: dict[str, Any]


NO_POLICY = PolicyTargets(None, None, ALWAYS_OPEN, None, None, None, None, 80, None, {})


def _minutes(value: int | None) -> timedelta | None:
    return timedelta(minutes=value) if value else None


def targets_of(session: Session, policy: SlaPolicy | None) -> PolicyTargets:
    """A policy row resolved with its calendar."""
    if policy is None:
        return NO_POLICY
    row = session.get(BusinessCalendarRow, policy.calendar_id) if policy.calendar_id else None
    return PolicyTargets(
        policy.id,
        policy.name,
        calendar_from_row(row),
        _minutes(policy.first_response_minutes),
        _minutes(policy.next_response_minutes),
        _minutes(policy.resolution_minutes),
        _minutes(policy.inactivity_minutes),
        policy.warning_percent,
        _minutes(policy.autoclose_minutes),
        dict(policy.escalation or {}),
    )


def _matches(condition: Any, value: Any) -> bool:
    if condition is None:
        return True
    if isinstance(condition, list | tuple | set):
        return value in condition
    if isinstance(condition, bool):
        return bool(value) == condition
    return bool(value == condition)


def choose_policy(
    session: Session,
    *,
    priority: str,
    severity: str,
    account_id: int | None,
    contract_line_id: int | None,
    queue_id: int | None,
) -> SlaPolicy | None:
    """The first active policy, by position, whose conditions all hold."""
    tier = None
    if account_id is not None:
        account = session.get(Account, account_id)
        tier = account.tier if account else None
    queue_name = None
    if queue_id is not None:
        queue = session.get(Queue, queue_id)
        queue_name = queue.name if queue else None
    contract = None
    if contract_line_id is not None:
        line = session.get(ContractLine, contract_line_id)
        contract = line is not None
    facts = {
        "priority": priority,
        "severity": severity,
        "tier": tier,
        "contract": bool(contract),
        "queue": queue_name,
    }
    policies = session.scalars(
        select(SlaPolicy)
        .where(col(SlaPolicy.active).is_(True))
        .order_by(col(SlaPolicy.position), col(SlaPolicy.id))
    )
    for policy in policies:
        conditions = policy.match or {}
        if all(_matches(conditions.get(key), facts.get(key)) for key in facts):
            return policy
    return None


def _deadline(
    cal: BusinessCalendar,
    start: datetime,
    target: timedelta | None,
    extra: timedelta = timedelta(0),
) -> datetime | None:
    return cal.add(start, target + extra) if target else None


def _warn(
    cal: BusinessCalendar,
    start: datetime,
    target: timedelta | None,
    percent: int,
    extra: timedelta = timedelta(0),
) -> datetime | None:
    if not target:
        return None
    return cal.add(start, target * (percent / 100) + extra)


def _next_check(
    warn: datetime | None, due: datetime | None, flags: int, bits: tuple[Flag, Flag]
) -> datetime | None:
    """The warn column's value: warning time, due time once warned, None once breached."""
    warned, breached = bits
    if due is None or flags & breached:
        return None
    if flags & warned:
        return due
    return warn


def deadlines(case: Case | ClockFacts, t: PolicyTargets, now: datetime) -> dict[str, Any]:
    """Every SLA column of ``case`` recomputed from its facts and the policy ``t``.

    Pure. ``next_response_due`` is kept as stored (a customer contact starts it), unless
    the policy has no next-response target. Warn columns follow the next-check rule.
    """
    cal = t.calendar
    flags = int(getattr(case, "sla_flags", 0) or 0)
    paused = timedelta(seconds=case.paused_seconds or 0)
    values: dict[str, Any] = {"sla_policy_id": t.id}
    fr_due = _deadline(cal, case.created_at, t.first_response)
    fr_warn = _warn(cal, case.created_at, t.first_response, t.warning_percent)
    if case.first_response_at is not None or case.status not in OPEN:
        fr_warn = None
    values["first_response_due"] = fr_due
    values["first_response_warn"] = _next_check(
        fr_warn, fr_due, flags, CLOCK_BITS["first_response"]
    )
    res_due = _deadline(cal, case.created_at, t.resolution, paused)
    res_warn = _warn(cal, case.created_at, t.resolution, t.warning_percent, paused)
    if case.status not in RUNNING:
        res_warn = None
    values["resolution_due"] = res_due
    values["resolution_warn"] = _next_check(res_warn, res_due, flags, CLOCK_BITS["resolution"])
    last = case.last_activity_at or case.created_at
    values["inactivity_due"] = _deadline(cal, last, t.inactivity) if case.status in OPEN else None
    if not t.next_response:
        values["next_response_due"] = None
        values["next_response_warn"] = None
    values["due_at"] = urgency(case, values)
    return values


def urgency(case: Case | ClockFacts, values: dict[str, Any] | None = None) -> datetime:
    """The nearest running deadline: what "most urgent first" sorts by."""
    v = values or {}

    def get(name: str) -> Any:
        return v[name] if name in v else getattr(case, name)

    if case.status not in OPEN:
        return FAR_FUTURE
    candidates = []
    if get("first_response_at") is None and get("first_response_due") is not None:
        candidates.append(get("first_response_due"))
    if get("next_response_due") is not None:
        candidates.append(get("next_response_due"))
    if case.status in RUNNING and get("resolution_due") is not None:
        candidates.append(get("resolution_due"))
    return min(candidates) if candidates else FAR_FUTURE


def next_response(t: PolicyTargets, contact_at: datetime) -> dict[str, Any]:
    """Columns that start the next-response clock at a customer contact."""
    if not t.next_response:
        return {}
    return {
        "next_response_due": t.calendar.add(contact_at, t.next_response),
        "next_response_warn": t.calendar.add(
            contact_at, t.next_response * (t.warning_percent / 100)
        ),
    }


def paused_business_seconds(t: PolicyTargets, paused_at: datetime | None, now: datetime) -> int:
    """Business seconds on the policy calendar from ``paused_at`` to ``now``."""
    if paused_at is None:
        return 0
    return int(t.calendar.elapsed(paused_at, now).total_seconds())


def state(
    due: datetime | None,
    warn: datetime | None,
    now: datetime,
    *,
    met: bool = False,
    paused: bool = False,
    breached_flag: bool = False,
) -> ClockState | None:
    """The state an agent sees for one deadline (None when it has no deadline)."""
    if due is None and not met:
        return None
    if met:
        return ClockState.breached if breached_flag else ClockState.met
    if paused:
        return ClockState.paused
    if breached_flag or (due is not None and now >= due):
        return ClockState.breached
    if warn is not None and now >= warn:
        return ClockState.warning
    return ClockState.ok


def load_targets(session: Session, policy_id: int | None) -> PolicyTargets:
    """The targets of a stored policy (:data:`NO_POLICY` for None)."""
    return targets_of(session, session.get(SlaPolicy, policy_id) if policy_id else None)


# --- status changes -----------------------------------------------------------------


def status_values(
    session: Session, case: Case, to: str, now: datetime
) -> tuple[dict[str, Any], list[tuple[str, datetime]]]:
    """The SLA consequences of moving ``case`` to status ``to`` at ``now``.

    Returns the column values and the clocks that this change breaches (late when they
    stop), each to be recorded as one ``sla_breach`` event
    (``workflow.transitions.record_breaches``).

    * Leaving or entering a paused status (awaiting_customer, resolved, closed) folds the
      business time since ``paused_at`` into ``paused_seconds``; resolution then moves
      later by exactly that business time.
    * Resolving stops every clock: a running first response, next response and the
      resolution are recorded as met (on time) or breached (late), unless already
      breached; a breach is never turned into "met".
    * Reopening (resolved/closed → in_progress) un-meets the resolution clock; its bits
      recorded as breached stay breached.
    """
    targets = load_targets(session, case.sla_policy_id)
    values: dict[str, Any] = {"status": to}
    flags = int(case.sla_flags)
    set_bits = clear_bits = 0
    breaches: list[tuple[str, datetime]] = []
    paused_before = case.status in PAUSED
    paused_after = to in PAUSED
    paused_seconds = case.paused_seconds
    if paused_before and case.paused_at is not None:
        paused_seconds += paused_business_seconds(targets, case.paused_at, now)
        values["paused_seconds"] = paused_seconds
        values["paused_at"] = now if paused_after else None
    elif paused_after:
        values["paused_at"] = now
    if to == Status.resolved:
        values["resolved_at"] = now
        values["autoclose_due"] = now + targets.autoclose if targets.autoclose else None
        fr_due = case.first_response_due
        if case.first_response_at is None and fr_due is not None:
            if flags & Flag.FIRST_RESPONSE_BREACHED:
                pass
            elif now <= fr_due:
                set_bits |= Flag.FIRST_RESPONSE_MET
            else:
                set_bits |= Flag.FIRST_RESPONSE_BREACHED | Flag.FIRST_RESPONSE_WARNED
                breaches.append(("first_response", fr_due))
        nr_due = case.next_response_due
        if nr_due is not None:
            if now > nr_due and not flags & Flag.NEXT_RESPONSE_BREACHED:
                set_bits |= Flag.NEXT_RESPONSE_BREACHED | Flag.NEXT_RESPONSE_WARNED
                breaches.append(("next_response", nr_due))
            values["next_response_due"] = None
            values["next_response_warn"] = None
        res_due = deadlines(
            ClockFacts.of(case, paused_seconds=paused_seconds), targets, now
        )["resolution_due"]
        if res_due is not None and not flags & Flag.RESOLUTION_BREACHED:
            if now <= res_due:
                set_bits |= Flag.RESOLUTION_MET
            else:
                set_bits |= Flag.RESOLUTION_BREACHED | Flag.RESOLUTION_WARNED
                breaches.append(("resolution", res_due))
    if to == Status.closed:
        values["closed_at"] = now
        values["autoclose_due"] = None
    if to == Status.cancelled:
        values["autoclose_due"] = None
    if to == Status.in_progress and case.status in (Status.resolved, Status.closed):
        values["resolved_at"] = None
        values["closed_at"] = None
        values["autoclose_due"] = None
        clear_bits |= Flag.RESOLUTION_MET
    if set_bits or clear_bits:
        values["sla_flags"] = flags_expr(set_bits, clear_bits)
    probe = ClockFacts.of(case, **values)
    probe.paused_seconds = paused_seconds
    probe.sla_flags = (flags | set_bits) & ~clear_bits
    for key, value in deadlines(probe, targets, now).items():
        if key in ("sla_policy_id",):
            continue
        values[key] = value
    if to not in OPEN:
        values["due_at"] = FAR_FUTURE
        values["inactivity_due"] = None
    return values, breaches


def customer_message_values(
    session: Session, case: Case, to: str | None, when: datetime
) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """What a message from the customer does to ``case``'s clocks at ``when`` (an e-mail,
    a portal comment): the status change ``to`` (resume or reopen; None: none) with its
    clocks, a next-response cycle started when the case is being worked, the urgency
    recomputed. Returns the column values and the breaches the change records."""
    values: dict[str, Any] = {}
    breaches: list[tuple[str, Any]] = []
    clear = 0
    if to is not None:
        values, breaches = status_values(session, case, to, when)
        values.pop("sla_flags", None)
        if case.status == Status.resolved:
            clear |= Flag.RESOLUTION_MET  # as status_values: reopening un-meets it
    status = values.get("status", case.status)
    running = values.get("next_response_due", case.next_response_due)
    if status in (Status.new, Status.in_progress) and running is None \
            and case.first_response_at is not None:
        started = next_response(load_targets(session, case.sla_policy_id), when)
        if started:
            values.update(started)
            clear |= Flag.NEXT_RESPONSE_WARNED | Flag.NEXT_RESPONSE_BREACHED
    probe = dict(values)
    values["due_at"] = urgency(ClockFacts.of(case, **probe), probe)
    if clear:
        values["sla_flags"] = flags_expr(clear_bits=clear)
    return values, breaches
