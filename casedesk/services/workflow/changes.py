"""The one way a case changes: a guarded UPDATE plus exactly one case event.

Every workflow operation reads the case inside its write transaction, checks the
rules, and calls :func:`apply_change`. The UPDATE carries a guard (``version =
:seen`` and whatever the operation needs, e.g. ``owner_id IS NULL``); when it
touches no row somebody else got there first, and :func:`explain_conflict` says who
and what. Appends (notes, interactions, time, tasks) carry no version guard: they
lock the row, bump ``version = version + 1`` in SQL and write their one event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, insert, select, update
from sqlmodel import Session, col

from casedesk import labels
from casedesk.durations import ago
from casedesk.errors import CaseTaken, ConflictError, StaleVersion, ValidationError
from casedesk.i18n import N_, _, ngettext
from casedesk.models import Agent, Case, CaseEvent, Queue
from casedesk.models.base import fixed_limit, saved_id
from casedesk.services.context import Actor, storable
from casedesk.services.numbers import case_label, shown_number
from casedesk.services.sla import clocks


def fresh_case(session: Session, case_id: int) -> Case:
    """Re-read a case, bypassing the session's identity map."""
    return session.scalars(
        select(Case).where(col(Case.id) == case_id).execution_options(populate_existing=True)
    ).one()


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
    if note is not None:
        storable(note, N_("the note"))
    row = event_row(
        case_id=case_id, at=at, actor_id=actor_id, kind=kind, before=before, after=after,
        note=note, data=data,
    )
    session.execute(insert(CaseEvent).values(**row))


def event_row(
    *,
    case_id: Any,
    at: datetime,
    actor_id: int | None,
    kind: str,
    before: Case | None = None,
    after: dict[str, Any] | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The column values of one case event (``case_id`` may be a SQL expression)."""
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
    return row


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
    append: bool = False,
) -> dict[str, Any]:
    """Conditionally update ``case`` and record its event; raise a conflict if it lost.

    ``append`` is for what adds to a case without deciding anything about its state
    (notes, interactions, time entries, tasks): no version check, the version is bumped
    in SQL (``version = version + 1``) so concurrent appends all succeed and each still
    writes exactly one event. Callers read the case with ``load_case(..., lock=True)``
    so the values they compute come from the latest row. ``guard`` still applies.
    """
    for key, value in values.items():
        if isinstance(value, str):
            storable(value, "the " + key.replace("_", " "))
    if expected_version is not None and not 0 < expected_version < 2**31:
        raise ValidationError(
            _("{case} has no version {version}: reload it and try again").format(
                case=case_label(case.number), version=shown_number(expected_version))
        )
    version = expected_version if expected_version is not None else case.version
    values, condition = change_values(
        session, case, now, values, guard, version, activity=activity, append=append
    )
    stmt = (
        update(Case)
        .where(*condition)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    # an UPDATE's result is a CursorResult (it has the rowcount)
    result = cast(CursorResult[Any], session.execute(stmt))
    if result.rowcount != 1:
        raise explain_conflict(
            session, saved_id(case.id), actor, now, version, seen_owner_id=case.owner_id
        )
    record_event(
        session,
        case_id=saved_id(case.id),
        at=now,
        actor_id=actor.id if actor else None,
        kind=kind,
        before=case,
        after=values,
        note=note,
        data=data,
    )
    return values


def change_values(
    session: Session,
    case: Case,
    now: datetime,
    values: dict[str, Any],
    guard: tuple[ColumnElement[bool], ...],
    version: int,
    *,
    activity: bool = True,
    append: bool = False,
) -> tuple[dict[str, Any], tuple[ColumnElement[bool], ...]]:
    """The SET values and the WHERE condition of :func:`apply_change`'s guarded UPDATE."""
    values = dict(values)
    if append:
        values["version"] = col(Case.version) + 1
        condition: tuple[ColumnElement[bool], ...] = (col(Case.id) == case.id, *guard)
    else:
        values["version"] = version + 1
        condition = (col(Case.id) == case.id, col(Case.version) == version, *guard)
    values["updated_at"] = now
    if activity:
        values["last_activity_at"] = now
        targets = clocks.load_targets(session, values.get("sla_policy_id", case.sla_policy_id))
        status = values.get("status", case.status)
        if targets.inactivity and status in ("new", "in_progress", "awaiting_customer"):
            values["inactivity_due"] = targets.calendar.add(now, targets.inactivity)
        elif status not in ("new", "in_progress", "awaiting_customer"):
            values["inactivity_due"] = None
    return values, condition


#: Events the desk records by itself, beside the changes people make (they do not
#: bump the version, so a conflict is never "about" them).
_SYSTEM_KINDS = ("sla_breach", "sla_warning", "inactive", "article")

_KIND_TEXT = {
    "note": N_("added a note"),
    "interaction": N_("logged an interaction"),
    "time": N_("logged time"),
    "task": N_("changed its tasks"),
    "link": N_("changed its parent"),
    "update": N_("edited it"),
}


def _names(session: Session, model: Any, *ids: int | None) -> dict[int | None, str]:
    """id → name of agents or queues (``None`` → ``none``)."""
    wanted = {i for i in ids if i is not None}
    names: dict[int | None, str] = {None: _("none")}
    if wanted:
        rows = session.execute(select(model.id, model.name).where(model.id.in_(wanted)))
        names.update((key, name) for key, name in rows)
    return names


def describe_event(session: Session, event: CaseEvent) -> str:
    """What one event changed, in words: ``status in_progress → resolved``."""
    parts: list[str] = []
    if event.from_status != event.to_status:
        parts.append(_("status {before} → {after}").format(
            before=labels.label("status", event.from_status) or "—",
            after=labels.label("status", event.to_status) or "—"))
    for what, model, old, new in (
        (N_("owner {before} → {after}"), Agent, event.from_owner_id, event.to_owner_id),
        (N_("queue {before} → {after}"), Queue, event.from_queue_id, event.to_queue_id),
    ):
        if old != new:
            names = _names(session, model, old, new)
            parts.append(_(what).format(before=names.get(old, "?"), after=names.get(new, "?")))
    if event.kind == "update" and event.data:
        fields = [k for k in event.data if k != "policy"]
        if fields:
            parts.append(_("edited {fields}").format(fields=", ".join(fields)))
    if not parts:
        parts.append(_(_KIND_TEXT[event.kind]) if event.kind in _KIND_TEXT else event.kind)
    return ", ".join(parts)


def explain_conflict(
    session: Session,
    case_id: int,
    actor: Actor | None,
    now: datetime,
    expected_version: int | None = None,
    *,
    seen_owner_id: int | None = None,
) -> ConflictError:
    """The error for a lost race, saying what actually happened.

    ``seen_owner_id`` is the owner the caller saw (``None``: it saw the case in a
    queue). Only when the owner is now somebody else is it "taken"
    (:class:`CaseTaken`); any other change is a :class:`StaleVersion` naming who
    changed what since ``expected_version``: ``CS-000123 was changed by María López
    2 s ago: status in_progress → resolved``.
    """
    current = fresh_case(session, case_id)
    label = case_label(current.number)
    owner = current.owner_id
    if owner is not None and owner != seen_owner_id and (actor is None or owner != actor.id):
        holder = session.get(Agent, owner)
        holder_name = holder.name if holder else _("another agent")
        taken = session.execute(
            select(col(CaseEvent.at))
            .where(col(CaseEvent.case_id) == case_id, col(CaseEvent.to_owner_id) == owner)
            .order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc())
            .limit(fixed_limit(1))
        ).scalar_one_or_none()
        return CaseTaken(
            _("{case} was taken by {name} {ago}").format(
                case=label, name=holder_name, ago=ago(taken, now)).rstrip(),
            holder=holder.login if holder else None,
        )
    missed = 1
    if expected_version is not None and current.version > expected_version:
        missed = current.version - expected_version
    events = session.execute(
        select(CaseEvent, col(Agent.name))
        .outerjoin(Agent, col(Agent.id) == col(CaseEvent.actor_id))
        .where(col(CaseEvent.case_id) == case_id, col(CaseEvent.kind).not_in(_SYSTEM_KINDS))
        .order_by(col(CaseEvent.id).desc())
        .limit(min(missed, 3))
    ).all()
    if not events:
        return StaleVersion(_("{case} was changed by somebody else: reload it and try again")
                            .format(case=label))
    last, who = events[0]
    what = describe_event(session, last)
    if missed > 1:
        more = missed - 1
        return StaleVersion(ngettext(
            "{case} was changed by {name} {ago}: {what} ({n} more change before that); "
            "reload it and try again",
            "{case} was changed by {name} {ago}: {what} ({n} more changes before that); "
            "reload it and try again", more).format(
                case=label, name=who or _("the desk"), ago=ago(last.at, now), what=what, n=more))
    return StaleVersion(_("{case} was changed by {name} {ago}: {what}; reload it and try again")
                        .format(case=label, name=who or _("the desk"), ago=ago(last.at, now),
                                what=what))
