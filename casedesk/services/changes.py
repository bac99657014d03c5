"""The one way a case changes: a guarded UPDATE plus exactly one case event.

Every workflow operation reads the case inside its write transaction, checks the
rules, and calls :func:`apply_change`. The UPDATE carries a guard (``version =
:seen`` and whatever the operation needs, e.g. ``owner_id IS NULL``); when it
touches no row somebody else got there first, and :func:`explain_conflict` says who.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, insert, select, update
from sqlmodel import Session

from casedesk.errors import CaseTaken, ConflictError, StaleVersion
from casedesk.models import Agent, Case, CaseEvent
from casedesk.services import sla
from casedesk.services.context import Actor, ago, case_label


def fresh_case(session: Session, case_id: int) -> Case:
    """Re-read a case, bypassing the session's identity map."""
    return session.execute(
        select(Case).where(Case.id == case_id).execution_options(populate_existing=True)
    ).scalar_one()


def record_event(
    session: Session,
    *,
    case_id: int,
    at: datetime,
    actor_id: int | None,
    kind: str,
    before: Case | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Insert one case event with before/after of queue, owner and status."""
    after = after or {}
    row: dict[str, Any] = {
        "case_id": case_id,
        "at": at,
        "actor_id": actor_id,
        "kind": kind,
        "note": note,
        "data": data,
    }
    for column in ("queue_id", "owner_id", "status"):
        old = getattr(before, column) if before is not None else None
        new = after.get(column, old)
        if before is None or new != old:
            row[f"from_{column}"] = old
            row[f"to_{column}"] = new
        else:
            row[f"from_{column}"] = row[f"to_{column}"] = None
    session.execute(insert(CaseEvent).values(**row))


def apply_change(
    session: Session,
    case: Case,
    actor: Actor | None,
    now: datetime,
    *,
    kind: str,
    values: dict[str, Any],
    guard: tuple[ColumnElement[bool], ...] = (),
    expected_version: int | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    activity: bool = True,
) -> dict[str, Any]:
    """Conditionally update ``case`` and record its event; raise a conflict if it lost."""
    version = expected_version if expected_version is not None else case.version
    values = dict(values)
    values["version"] = version + 1
    values["updated_at"] = now
    if activity:
        values["last_activity_at"] = now
        targets = sla.load_targets(session, values.get("sla_policy_id", case.sla_policy_id))
        status = values.get("status", case.status)
        if targets.inactivity and status in ("new", "in_progress", "awaiting_customer"):
            values["inactivity_due"] = targets.calendar.add(now, targets.inactivity)
        elif status not in ("new", "in_progress", "awaiting_customer"):
            values["inactivity_due"] = None
    stmt = (
        update(Case)
        .where(Case.id == case.id, Case.version == version, *guard)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    if result.rowcount != 1:
        raise explain_conflict(session, case.id, actor, now, expected_version)
    record_event(
        session,
        case_id=case.id,
        at=now,
        actor_id=actor.id if actor else None,
        kind=kind,
        before=case,
        after=values,
        note=note,
        data=data,
    )
    return values


def explain_conflict(
    session: Session,
    case_id: int,
    actor: Actor | None,
    now: datetime,
    expected_version: int | None = None,
) -> ConflictError:
    """The error for a lost race, naming who holds or last changed the case."""
    current = fresh_case(session, case_id)
    label = case_label(current.number)
    last = session.execute(
        select(CaseEvent, Agent.name)
        .outerjoin(Agent, Agent.id == CaseEvent.actor_id)
        .where(CaseEvent.case_id == case_id)
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
        .limit(1)
    ).first()
    when = ago(last[0].at, now) if last else ""
    who = (last[1] if last else None) or "somebody"
    if current.owner_id is not None and (actor is None or current.owner_id != actor.id):
        holder = session.get(Agent, current.owner_id)
        holder_name = holder.name if holder else "another agent"
        taken = session.execute(
            select(CaseEvent.at)
            .where(CaseEvent.case_id == case_id, CaseEvent.to_owner_id == current.owner_id)
            .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return CaseTaken(
            f"{label} was taken by {holder_name} {ago(taken, now)}".rstrip(),
            holder=holder.login if holder else None,
        )
    if expected_version is not None and current.version != expected_version:
        return StaleVersion(
            f"{label} was changed by {who} {when} (version {current.version}, you had "
            f"{expected_version}): reload it and try again"
        )
    return StaleVersion(f"{label} was changed by {who} {when}: reload it and try again")
