"""Where a case is, and its status: the seven queue/WIP operations and the transitions.

| operation | from → to | who may |
|---|---|---|
| accept | a queue → my WIP bin | a member of that queue |
| next | the most urgent case of a queue → my bin | a member of that queue |
| dispatch | my bin → a queue (home queue by default) | the owner |
| reject | a queue → the creator's bin, with a reason | a member of that queue |
| transfer | a queue → another queue | a member of the source queue, or a supervisor |
| assign | a queue or anyone's bin → a named agent's bin | supervisors |
| yank | an agent's bin → the home queue | supervisors |

Status changes (start, wait, resume, resolve, close, reopen, cancel) may be made by
the case's owner or by a supervisor. Each function is one transaction.

Capacity: ``accept`` and ``next`` refuse to fill a bin beyond the agent's capacity (open
cases, as ``agent list`` counts them) with :class:`~casedesk.errors.BinFull`; ``assign``
does too unless the supervisor passes ``override_capacity=True``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from casedesk.db import is_sqlite, write_session
from casedesk.errors import (
    BinFull,
    InvalidTransition,
    PermissionDenied,
    QueueEmpty,
    ValidationError,
)
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import ACTIVE_STATUSES, OPEN_STATUSES, Agent, Case, Status
from casedesk.models.base import fixed_limit, saved_id
from casedesk.models.cases import case_is_active
from casedesk.services.context import (
    Actor,
    Desk,
    is_member,
    load_agent,
    load_case,
    load_queue,
    require_supervisor,
)
from casedesk.services.mail import notify
from casedesk.services.numbers import case_label
from casedesk.services.queries.reads import case_detail
from casedesk.services.queries.views import CaseDetail
from casedesk.services.sla import clocks
from casedesk.services.workflow import fastpath
from casedesk.services.workflow.changes import (
    apply_change,
    explain_conflict,
    fresh_case,
    record_event,
)

_ACTIVE = [s.value for s in ACTIVE_STATUSES]
#: The operations a refusal names ("cannot {action} it"), in the infinitive.
_ACTIONS = {
    "accept": N_("accept"), "reject": N_("reject"), "transfer": N_("transfer"),
    "assign": N_("assign"), "start": N_("start"), "wait": N_("pause"),
    "resume": N_("resume"), "resolve": N_("resolve"), "close": N_("close"),
    "reopen": N_("reopen"), "cancel": N_("cancel"),
}


def _action(what: str) -> str:
    return _(_ACTIONS.get(what, what))


def _require_active(case: Case, what: str) -> None:
    if case.status not in _ACTIVE:
        raise InvalidTransition(_("{case} is {status}: cannot {action} it").format(
            case=case_label(case.number), status=label("status", case.status),
            action=_action(what)))


def _require_in_queue(
    session: Session, case: Case, actor: Actor, now: datetime, what: str
) -> None:
    if case.owner_id is not None:
        if case.owner_id == actor.id:
            raise InvalidTransition(_("{case} is already in your bin").format(
                case=case_label(case.number)))
        raise explain_conflict(session, saved_id(case.id), actor, now)


def _require_member(session: Session, actor: Actor, queue_id: int | None, what: str) -> None:
    if not is_member(session, actor.id, queue_id):
        queue = load_queue(session, queue_id) if queue_id is not None else None
        if queue is None:
            raise PermissionDenied(_("{login} is not a member of any queue: cannot {action}")
                                   .format(login=actor.login, action=_(what)))
        raise PermissionDenied(_("{login} is not a member of queue {queue}: cannot {action}")
                               .format(login=actor.login, queue=repr(queue.name), action=_(what)))


def bin_load(session: Session, agent_id: int, *, lock: bool = False) -> tuple[int, int]:
    """(open cases in the agent's bin, their capacity) — the count ``agent list`` shows.

    ``lock`` takes the agent's row lock first on PostgreSQL (NO KEY UPDATE: it only waits
    for another claim into the same bin), so two claims at once cannot both pass the
    check; SQLite's write transactions are serial already.
    """
    stmt = select(col(Agent.capacity)).where(col(Agent.id) == agent_id)
    if lock and not is_sqlite(session.get_bind()):
        stmt = stmt.with_for_update(key_share=True)
    capacity = session.execute(stmt).scalar_one()
    wip = session.execute(
        select(func.count())
        .select_from(Case)
        .where(col(Case.owner_id) == agent_id, case_is_active())
    ).scalar_one()
    return wip, capacity


def _require_room(session: Session, actor: Actor) -> None:
    """Refuse a claim (accept, next) into a bin that is full."""
    wip, capacity = bin_load(session, actor.id, lock=True)
    if wip >= capacity:
        raise BinFull(
            _("your bin is full ({wip} of {capacity}): resolve or dispatch a case "
              "first, or ask a supervisor to assign you more").format(wip=wip, capacity=capacity),
            wip,
            capacity,
        )


def accept(
    desk: Desk, actor: Actor, number: int | str, *, version: int | None = None
) -> CaseDetail:
    """Take a case from its queue into my WIP bin (refused when my bin is full)."""
    now = desk.now()
    done = fastpath.claim(desk, actor, now, kind="accept", number=number, version=version)
    if done is not None:
        return done
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        _require_active(case, "accept")
        _require_in_queue(session, case, actor, now, "accept")
        _require_member(session, actor, case.queue_id, N_("accept its cases"))
        _require_room(session, actor)
        apply_change(
            session,
            case,
            actor,
            now,
            kind="accept",
            values={"owner_id": actor.id},
            guard=(col(Case.owner_id).is_(None), col(Case.queue_id) == case.queue_id),
            expected_version=version,
        )
        return case_detail(session, saved_id(case.id))


def next_case(desk: Desk, actor: Actor, queue: str | int) -> CaseDetail:
    """Take the most urgent waiting case of a queue into my bin (not when it is full)."""
    now = desk.now()
    done = fastpath.claim(desk, actor, now, kind="next", queue=queue)
    if done is not None:
        return done
    for _attempt in range(20):
        with write_session(desk.engine) as session:
            q = load_queue(session, queue)
            _require_member(session, actor, q.id, N_("take its cases"))
            _require_room(session, actor)
            stmt = (
                select(col(Case.id))
                .where(col(Case.queue_id) == q.id, col(Case.owner_id).is_(None), case_is_active())
                .order_by(col(Case.due_at), col(Case.id))
                .limit(fixed_limit(1))
            )
            if not is_sqlite(desk.engine):
                stmt = stmt.with_for_update(skip_locked=True)
            case_id = session.execute(stmt).scalar_one_or_none()
            if case_id is None:
                raise QueueEmpty(_("queue {queue} has no waiting cases").format(
                    queue=repr(q.name)))
            case = fresh_case(session, case_id)
            if case.owner_id is not None:
                continue
            apply_change(
                session,
                case,
                actor,
                now,
                kind="next",
                values={"owner_id": actor.id},
                guard=(col(Case.owner_id).is_(None),),
            )
            return case_detail(session, saved_id(case.id))
    raise QueueEmpty(_("queue {queue}: every waiting case was taken while trying; try again")
                     .format(queue=repr(queue)))


def dispatch(
    desk: Desk,
    actor: Actor,
    number: int | str,
    queue: str | None = None,
    *,
    note: str | None = None,
    version: int | None = None,
) -> CaseDetail:
    """Send a case from my bin to a queue (its home queue unless another is named)."""
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        if case.owner_id != actor.id:
            raise PermissionDenied(
                _("{case} is not in your bin: only its owner may dispatch it").format(
                    case=case_label(case.number))
            )
        target = load_queue(session, queue) if queue else None
        queue_id = target.id if target else case.queue_id
        if queue_id is None:
            raise ValidationError(_("{case} has no home queue: name one").format(
                case=case_label(case.number)))
        apply_change(
            session,
            case,
            actor,
            now,
            kind="dispatch",
            values={"owner_id": None, "queue_id": queue_id},
            guard=(col(Case.owner_id) == actor.id,),
            expected_version=version,
            note=note,
        )
        return case_detail(session, saved_id(case.id))


def reject(
    desk: Desk, actor: Actor, number: int | str, reason: str, *, version: int | None = None
) -> CaseDetail:
    """Send a case from a queue back to the bin of whoever created it, with a reason."""
    if not reason or not reason.strip():
        raise ValidationError(_("a rejection needs a reason the creator can act on"))
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        _require_active(case, "reject")
        _require_in_queue(session, case, actor, now, "reject")
        _require_member(session, actor, case.queue_id, N_("reject its cases"))
        if case.creator_id is None:
            raise InvalidTransition(
                _("{case} has no creator to return it to: transfer it instead").format(
                    case=case_label(case.number))
            )
        apply_change(
            session,
            case,
            actor,
            now,
            kind="reject",
            values={"owner_id": case.creator_id},
            guard=(col(Case.owner_id).is_(None),),
            expected_version=version,
            note=reason.strip(),
        )
        return case_detail(session, saved_id(case.id))


def transfer(
    desk: Desk,
    actor: Actor,
    number: int | str,
    queue: str,
    *,
    note: str | None = None,
    version: int | None = None,
) -> CaseDetail:
    """Move a waiting case from its queue to another queue."""
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        _require_active(case, "transfer")
        _require_in_queue(session, case, actor, now, "transfer")
        if not actor.is_supervisor:
            _require_member(session, actor, case.queue_id, N_("transfer its cases"))
        target = load_queue(session, queue)
        if target.id == case.queue_id:
            raise InvalidTransition(
                _("{case} is already in queue {queue}").format(
                    case=case_label(case.number), queue=repr(target.name))
            )
        apply_change(
            session,
            case,
            actor,
            now,
            kind="transfer",
            values={"queue_id": target.id},
            guard=(col(Case.owner_id).is_(None), col(Case.queue_id) == case.queue_id),
            expected_version=version,
            note=note,
        )
        return case_detail(session, saved_id(case.id))


def assign(
    desk: Desk,
    actor: Actor,
    number: int | str,
    agent: str,
    *,
    note: str | None = None,
    version: int | None = None,
    override_capacity: bool = False,
) -> CaseDetail:
    """Supervisors: put a case (from a queue or anybody's bin) into a named agent's bin.

    A bin that is full (open cases ≥ capacity) is refused with the count unless
    ``override_capacity`` says the supervisor means it (recorded in the event).
    """
    require_supervisor(actor, N_("assign cases"))
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        _require_active(case, "assign")
        target = load_agent(session, agent)
        if not target.active:
            raise ValidationError(_("agent {login} is deactivated").format(
                login=repr(target.login)))
        if case.owner_id == target.id:
            raise InvalidTransition(_("{case} is already in {name}'s bin").format(
                case=case_label(case.number), name=target.name))
        wip, capacity = bin_load(session, saved_id(target.id), lock=True)
        over = wip >= capacity
        if over and not override_capacity:
            raise BinFull(
                _("{name}'s bin is full ({wip} of {capacity}): override the "
                  "capacity to assign it anyway").format(
                    name=target.name, wip=wip, capacity=capacity),
                wip,
                capacity,
            )
        apply_change(
            session,
            case,
            actor,
            now,
            kind="assign",
            values={"owner_id": target.id},
            expected_version=version,
            note=note,
            data={"over_capacity": [wip, capacity]} if over else None,
        )
        return case_detail(session, saved_id(case.id))


def yank(
    desk: Desk,
    actor: Actor,
    number: int | str,
    *,
    note: str | None = None,
    version: int | None = None,
) -> CaseDetail:
    """Supervisors: pull a case out of an agent's bin back to its home queue."""
    require_supervisor(actor, N_("yank cases"))
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        if case.owner_id is None:
            raise InvalidTransition(_("{case} is in a queue, not in a bin").format(
                case=case_label(case.number)))
        if case.queue_id is None:
            raise InvalidTransition(_("{case} has no home queue to return to").format(
                case=case_label(case.number)))
        apply_change(
            session,
            case,
            actor,
            now,
            kind="yank",
            values={"owner_id": None},
            guard=(col(Case.owner_id) == case.owner_id,),
            expected_version=version,
            note=note,
        )
        return case_detail(session, saved_id(case.id))


# --- status -----------------------------------------------------------------------


def _require_owner_or_supervisor(case: Case, actor: Actor, what: str) -> None:
    if case.owner_id != actor.id and not actor.is_supervisor:
        raise PermissionDenied(
            _("{case} is not in your bin: accept it before you {action} it").format(
                case=case_label(case.number), action=_action(what))
        )


def _transition(
    desk: Desk,
    actor: Actor,
    number: int | str,
    *,
    kind: str,
    allowed_from: tuple[str, ...],
    to: str,
    version: int | None,
    note: str | None = None,
    extra: dict[str, Any] | None = None,
) -> CaseDetail:
    now = desk.now()
    # closing queues the survey mail in its own transaction: not on the one-statement path
    done = None if to == Status.closed else fastpath.change_status(
        desk, actor, number, now, kind=kind, allowed=lambda c: c.status in allowed_from,
        to=to, version=version, note=note, extra=extra,
    )
    if done is not None:
        return done
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        _require_owner_or_supervisor(case, actor, kind)
        if case.status not in allowed_from:
            raise InvalidTransition(
                _("{case} is {status}: cannot {action} it (allowed from {statuses})").format(
                    case=case_label(case.number), status=label("status", case.status),
                    action=_action(kind),
                    statuses=", ".join(label("status", s) for s in allowed_from))
            )
        values, breaches = clocks.status_values(session, case, to, now)
        values.update(extra or {})
        apply_change(
            session,
            case,
            actor,
            now,
            kind=kind,
            values=values,
            guard=(col(Case.status) == case.status,),
            expected_version=version,
            note=note,
        )
        record_breaches(session, case, breaches, now)
        if to == Status.closed:  # the satisfaction survey, in this transaction
            notify.customer_mail(session, case, "survey", now)
        return case_detail(session, saved_id(case.id))


def record_breaches(
    session: Session, case: Case, breaches: list[tuple[str, datetime]], now: datetime
) -> None:
    """One ``sla_breach`` event per clock that a status change found late."""
    for clock, due in breaches:
        record_event(
            session,
            case_id=saved_id(case.id),
            at=now,
            actor_id=None,
            kind="sla_breach",
            note=f"{clock.replace('_', ' ')} breached",
            data=clocks.clock_data(clock, due),
        )


def start(desk: Desk, actor: Actor, number: int | str, *, version: int | None = None) -> CaseDetail:
    """new → in_progress."""
    return _transition(
        desk,
        actor,
        number,
        kind="start",
        allowed_from=(Status.new,),
        to=Status.in_progress,
        version=version,
    )


def wait(
    desk: Desk,
    actor: Actor,
    number: int | str,
    *,
    note: str | None = None,
    version: int | None = None,
) -> CaseDetail:
    """in_progress → awaiting_customer: the resolution clock pauses."""
    return _transition(
        desk,
        actor,
        number,
        kind="wait",
        allowed_from=(Status.new, Status.in_progress),
        to=Status.awaiting_customer,
        version=version,
        note=note,
    )


def resume(
    desk: Desk,
    actor: Actor,
    number: int | str,
    *,
    note: str | None = None,
    version: int | None = None,
) -> CaseDetail:
    """awaiting_customer → in_progress: the resolution deadline moves by the paused time."""
    return _transition(
        desk,
        actor,
        number,
        kind="resume",
        allowed_from=(Status.awaiting_customer,),
        to=Status.in_progress,
        version=version,
        note=note,
    )


RESOLUTION_TYPES = (
    "solved",
    "workaround",
    "information",
    "not_reproducible",
    "duplicate",
    "no_fault",
    "other",
)


def resolve(
    desk: Desk,
    actor: Actor,
    number: int | str,
    resolution_type: str,
    notes: str,
    *,
    resolve_children: bool = False,
    version: int | None = None,
) -> CaseDetail:
    """Resolve with a type and notes; optionally resolve the open children too (one event each)."""
    if not resolution_type or not resolution_type.strip():
        raise ValidationError(_("a resolution needs a type: one of {types}").format(
            types=", ".join(RESOLUTION_TYPES)))
    if not notes or not notes.strip():
        raise ValidationError(_("a resolution needs notes saying what was done"))
    # resolving queues the resolution proposed to the customer (outbox) with the change:
    # on the fast path its outbox row is written by the change's own statement
    now = desk.now()
    done = None if resolve_children else fastpath.change_status(
        desk, actor, number, now, kind="resolve", to=Status.resolved, version=version,
        allowed=lambda c: c.status in OPEN_STATUSES, note=notes.strip(),
        extra={"resolution_type": resolution_type.strip(), "resolution_notes": notes.strip()},
        data={"type": resolution_type.strip()}, mail=notes.strip(),
    )
    if done is not None:
        return done
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        _require_owner_or_supervisor(case, actor, "resolve")
        if case.status not in OPEN_STATUSES:
            raise InvalidTransition(
                _("{case} is {status}: cannot resolve it").format(
                    case=case_label(case.number), status=label("status", case.status))
            )
        extra = {"resolution_type": resolution_type.strip(), "resolution_notes": notes.strip()}
        values, breaches = clocks.status_values(session, case, Status.resolved, now)
        values |= extra
        apply_change(
            session,
            case,
            actor,
            now,
            kind="resolve",
            values=values,
            guard=(col(Case.status) == case.status,),
            expected_version=version,
            note=notes.strip(),
            data={"type": resolution_type.strip()},
        )
        record_breaches(session, case, breaches, now)
        # the resolution proposed to the customer (they accept, or answer to reopen)
        notify.customer_mail(session, case, "resolution", now, notes=notes.strip())
        if resolve_children:
            children = (
                session.execute(
                    select(Case).where(
                        col(Case.parent_id) == case.id,
                        col(Case.status).in_([s.value for s in OPEN_STATUSES]),
                    )
                )
                .scalars()
                .all()
            )
            for child in children:
                child_values, child_breaches = clocks.status_values(
                    session, child, Status.resolved, now
                )
                child_values |= extra
                apply_change(
                    session,
                    child,
                    actor,
                    now,
                    kind="resolve",
                    values=child_values,
                    guard=(col(Case.status) == child.status,),
                    note=f"resolved with parent {case_label(case.number)}",
                    data={"type": resolution_type.strip(), "parent": case_label(case.number)},
                )
                record_breaches(session, child, child_breaches, now)
        return case_detail(session, saved_id(case.id))


def close(
    desk: Desk,
    actor: Actor,
    number: int | str,
    *,
    note: str | None = None,
    version: int | None = None,
) -> CaseDetail:
    """resolved → closed (the customer confirmed the solution)."""
    return _transition(
        desk,
        actor,
        number,
        kind="close",
        allowed_from=(Status.resolved,),
        to=Status.closed,
        version=version,
        note=note,
    )


def reopen(
    desk: Desk,
    actor: Actor,
    number: int | str,
    *,
    note: str | None = None,
    version: int | None = None,
) -> CaseDetail:
    """resolved → in_progress; closed → in_progress for supervisors or within the reopen window."""
    now = desk.now()
    done = fastpath.change_status(
        desk, actor, number, now, kind="reopen", to=Status.in_progress, version=version,
        note=note, allowed=lambda c: c.status == Status.resolved
        or (c.status == Status.closed and actor.is_supervisor),
    )
    if done is not None:
        return done
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        if case.status == Status.closed and not actor.is_supervisor:
            limit = timedelta(days=desk.reopen_days)
            if case.closed_at is None or desk.now() - case.closed_at > limit:
                raise PermissionDenied(
                    _("{case} closed more than {days} days ago: "
                      "ask a supervisor to reopen it").format(
                        case=case_label(case.number), days=desk.reopen_days)
                )
    return _transition(
        desk,
        actor,
        number,
        kind="reopen",
        allowed_from=(Status.resolved, Status.closed),
        to=Status.in_progress,
        version=version,
        note=note,
    )


def cancel(
    desk: Desk, actor: Actor, number: int | str, reason: str, *, version: int | None = None
) -> CaseDetail:
    """Any open status → cancelled (duplicate, withdrawn), with a reason."""
    if not reason or not reason.strip():
        raise ValidationError(_("cancelling needs a reason (duplicate, withdrawn …)"))
    return _transition(
        desk,
        actor,
        number,
        kind="cancel",
        allowed_from=tuple(s.value for s in OPEN_STATUSES),
        to=Status.cancelled,
        version=version,
        note=reason.strip(),
    )
