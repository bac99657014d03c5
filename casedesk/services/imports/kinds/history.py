"""History stays history: the SLA columns of an imported case from the times it brings.

* A case already resolved, closed or cancelled gets its deadlines from its own created
  time and policy, and its outcome recorded once in ``sla_flags``, as the workflow would
  have recorded it: first response met (``FIRST_RESPONSE_MET``) when its first-response
  time — or, with none, its resolution, as resolving counts as answering — came by the
  deadline, else also breached (``…_BREACHED | …_WARNED``); resolution met, or also
  breached, by its resolved time. No warn column is set and its clocks are stopped, so
  the scan never raises a warning, breach, escalation or notification for the past.
* A case still open runs its clocks from the import on: the business time from its
  created time to the import counts as paused (``paused_seconds``), so its resolution
  deadline is the policy's target from now — and stays so when the workflow recomputes
  it —, inactivity counts from now, and a first response it already had is recorded as
  met or breached against its historical deadline, like a closed case's.

Known limit: the first-response deadline of an open case that had no response yet is
computed from now here; :func:`casedesk.services.sla.clocks.deadlines` computes it from
the created time when the workflow later recomputes the case (a priority change), which
then may breach at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from casedesk.services.imports.kinds.base import Ctx
from casedesk.services.sla import clocks
from casedesk.services.sla.calendar import BusinessCalendar

CLOSED = ("resolved", "closed", "cancelled")
F = clocks.Flag


def history_clocks(ctx: Ctx, policy: int | None, row: dict[str, Any]) -> dict[str, Any]:
    """The SLA columns of a new imported case (``row`` has its status and times)."""
    targets: clocks.PolicyTargets = ctx.cache["targets"].get(policy, clocks.NO_POLICY)
    status, created, now = row["status"], row["created_at"], ctx.now
    cal = targets.calendar
    flags = 0
    out: dict[str, Any] = {}
    fr_at = row.get("first_response_at")
    resolved = row.get("resolved_at")
    fr_due = cal.add(created, targets.first_response) if targets.first_response else None
    if status in CLOSED:
        res_due = cal.add(created, targets.resolution) if targets.resolution else None
        answered = fr_at or resolved
        flags |= _outcome(answered, fr_due, F.FIRST_RESPONSE_MET,
                          F.FIRST_RESPONSE_BREACHED | F.FIRST_RESPONSE_WARNED)
        if status != "cancelled":
            flags |= _outcome(resolved, res_due, F.RESOLUTION_MET,
                              F.RESOLUTION_BREACHED | F.RESOLUTION_WARNED)
        out.update(sla_policy_id=targets.id, first_response_due=fr_due,
                   first_response_warn=None, next_response_due=None, next_response_warn=None,
                   resolution_due=res_due, resolution_warn=None, inactivity_due=None,
                   due_at=clocks.FAR_FUTURE, sla_flags=flags, paused_seconds=0,
                   last_activity_at=max(t for t in (created, fr_at, resolved,
                                                    row.get("closed_at")) if t is not None))
        return out
    paused = _paused_until(ctx, targets, cal, created, now) if created < now else 0
    if fr_at is not None:
        flags |= _outcome(fr_at, fr_due, F.FIRST_RESPONSE_MET,
                          F.FIRST_RESPONSE_BREACHED | F.FIRST_RESPONSE_WARNED)
    facts = clocks.ClockFacts(created_at=created, status=status, sla_flags=flags,
                              paused_seconds=paused, first_response_at=fr_at,
                              last_activity_at=now)
    out = clocks.deadlines(facts, targets, now)
    if fr_at is None and targets.first_response:
        # the first response runs from now, as the resolution does
        out["first_response_due"] = cal.add(now, targets.first_response)
        out["first_response_warn"] = cal.add(
            now, targets.first_response * (targets.warning_percent / 100))
        out["due_at"] = clocks.urgency(facts, out)
    out.update(sla_flags=flags, paused_seconds=paused, last_activity_at=now)
    return out


def _outcome(at: datetime | None, due: datetime | None, met: int, breached: int) -> int:
    if at is None or due is None:
        return 0
    return met if at <= due else met | breached


def _paused_until(ctx: Ctx, targets: clocks.PolicyTargets, cal: BusinessCalendar,
                  created: datetime, now: datetime) -> int:
    """Business seconds from ``created`` to ``now`` on the policy's calendar: the rest of
    the created day, plus the whole days to ``now`` (cached per policy and day)."""
    if not (targets.resolution or targets.first_response):
        return 0
    midnight = created.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    if midnight >= now:
        return int(cal.elapsed(created, now).total_seconds())
    cache: dict[tuple[int | None, datetime], int] = ctx.cache.setdefault("paused_days", {})
    key = (targets.id, midnight)
    whole = cache.get(key)
    if whole is None:
        whole = cache[key] = int(cal.elapsed(midnight, now).total_seconds())
    return int(cal.elapsed(created, midnight).total_seconds()) + whole
