"""Creating and editing cases: create, update under a version check, notes, time, parents."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from casedesk.db import write_session
from casedesk.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import (
    Area,
    Case,
    Contact,
    Contract,
    ContractLine,
    Interaction,
    Priority,
    Queue,
    Severity,
    Status,
)
from casedesk.models.base import saved_id
from casedesk.services.context import (
    Actor,
    Desk,
    in_id_range,
    is_member,
    load_case,
    load_queue,
    storable,
    storable_id,
)
from casedesk.services.contracts import entitlements
from casedesk.services.numbers import case_label, claim_numbers
from casedesk.services.queries.reads import case_detail
from casedesk.services.queries.views import CaseDetail
from casedesk.services.routing import rules
from casedesk.services.routing.rules import Decision, NewCase
from casedesk.services.sla import clocks
from casedesk.services.workflow import fastwrites
from casedesk.services.workflow.changes import apply_change, record_event


def _check_choice(value: str, allowed: type[StrEnum], field: str) -> str:
    value = (value or "").strip().lower()
    choices = [m.value for m in allowed]
    if value not in choices:
        raise ValidationError(_("{field} {value} is not one of {choices}").format(
            field=_(field), value=repr(value), choices=", ".join(choices)))
    return value


def _check_contract_line(session: Any, line_id: int, account_id: int | None) -> None:
    """The line must exist and belong to the case's account (when the case has one)."""
    row = session.execute(
        select(col(Contract.account_id))
        .join(ContractLine, col(ContractLine.contract_id) == col(Contract.id))
        .where(col(ContractLine.id) == storable_id(line_id, "contract line"))
    ).first()
    if row is None:
        raise NotFound(_("no contract line {id}").format(id=line_id))
    if account_id is not None and row[0] != account_id:
        raise ValidationError(
            _("contract line {id} belongs to another customer's contract: use a line of "
              "the case's own account").format(id=line_id)
        )


def may_work_on(session: Any, actor: Actor, case: Case) -> bool:
    """Its owner, a member of its home queue, or a supervisor may add to a case."""
    return (
        actor.is_supervisor
        or case.owner_id == actor.id
        or is_member(session, actor.id, case.queue_id)
    )


def require_work_on(session: Any, actor: Actor, case: Case, what: str) -> None:
    """Refuse ``what`` on a case the actor neither owns, nor works the queue of, nor supervises."""
    if not may_work_on(session, actor, case):
        raise PermissionDenied(
            _("{case} is not yours: only its owner, a member of its queue "
              "or a supervisor may {action}").format(case=case_label(case.number), action=_(what))
        )


def create_case(
    desk: Desk,
    actor: Actor,
    *,
    title: str,
    description: str = "",
    area: str = "general",
    priority: str = "medium",
    severity: str = "minor",
    contact_id: int | None = None,
    queue: str | None = None,
    contract_line_id: int | None = None,
    parent: str | int | None = None,
    from_interaction: int | None = None,
    channel: str | None = None,
) -> CaseDetail:
    """Open a case into a queue, or into the creator's bin when no queue is given; see
    :func:`open_case` (this is it, in a transaction of its own)."""
    if contract_line_id is None and parent is None and from_interaction is None and (
        contact_id is None or (type(contact_id) is int and in_id_range(contact_id))
    ):
        done = fastwrites.create_case(
            desk, actor, desk.now(), title=title, description=description, area=area,
            priority=priority, severity=severity, contact_id=contact_id, queue=queue,
            channel=channel)
        if done is not None:
            return done
    with write_session(desk.engine) as session:
        case = open_case(
            session,
            desk,
            actor,
            title=title,
            description=description,
            area=area,
            priority=priority,
            severity=severity,
            contact_id=contact_id,
            queue=queue,
            contract_line_id=contract_line_id,
            parent=parent,
            from_interaction=from_interaction,
            channel=channel,
        )
        return case_detail(session, saved_id(case.id))


def open_case(
    session: Session,
    desk: Desk,
    actor: Actor,
    *,
    title: str,
    description: str = "",
    area: str = "general",
    priority: str = "medium",
    severity: str = "minor",
    contact_id: int | None = None,
    queue: str | None = None,
    contract_line_id: int | None = None,
    parent: str | int | None = None,
    from_interaction: int | None = None,
    channel: str | None = None,
) -> Case:
    """Open a case in ``session`` (the caller's transaction); returns the new row
    (flushed, with its event).

    Without ``queue`` the routing rules decide (:func:`casedesk.services.routing.rules.decide`):
    the queue, maybe a new priority/severity (before the SLA policy is chosen) and maybe an
    agent; when no rule matches, the case goes into the creator's bin. With ``queue`` no rule
    moves it, but the queue's own strategy may pick an agent. The decision's reason is the
    create event's note and ``data["routing"]``.

    With ``from_interaction`` the case is linked to that interaction; when it is an
    inbound phone call or visit taken by the creator, that live contact is the case's
    first response.
    """
    title = storable((title or "").strip(), N_("the title"), 300)
    if not title:
        raise ValidationError(_("a case needs a title"))
    description = storable(description or "", N_("the description"))
    area = _check_choice(area, Area, N_("area"))
    priority = _check_choice(priority, Priority, N_("priority"))
    severity = _check_choice(severity, Severity, N_("severity"))
    now = desk.now()
    account_id = None
    if contact_id is not None:
        contact = session.get(Contact, storable_id(contact_id, "contact"))
        if contact is None:
            raise NotFound(_("no contact {id}").format(id=contact_id))
        account_id = contact.account_id
    queue_row = load_queue(session, queue) if queue else None
    queue_id = queue_row.id if queue_row is not None else None
    if contract_line_id is not None:
        _check_contract_line(session, contract_line_id, account_id)
    parent_id = load_case(session, parent).id if parent is not None else None
    interaction = None
    if from_interaction is not None:
        interaction = session.get(Interaction, storable_id(from_interaction, "interaction"))
        if interaction is None:
            raise NotFound(_("no interaction {id}").format(id=from_interaction))
        if interaction.case_id is not None:
            raise InvalidTransition(_("interaction {id} is already on a case").format(
                id=from_interaction))
        contact_id = contact_id or interaction.contact_id
        channel = channel or interaction.channel
    live = (
        interaction is not None
        and interaction.direction == "inbound"
        and interaction.channel in ("phone", "visit", "chat")
        and interaction.agent_id == actor.id
    )
    decision = _route(session, queue_row, now, NewCase(
        title=title, description=description, area=area, priority=priority,
        severity=severity, channel=channel, account_id=account_id, contact_id=contact_id,
        contract_line_id=contract_line_id))
    if decision is not None:
        queue_id = decision.queue_id
        priority = decision.priority or priority
        severity = decision.severity or severity
    owner_id = decision.agent_id if decision is not None else None
    if queue_id is None:
        owner_id = actor.id
    # the line counts this case even when exhausted or expired: recorded, never refused
    used = (entitlements.count_case(session, contract_line_id,
                                    entitlements.day_of(session, actor.id, now))
            if contract_line_id is not None else None)
    number = claim_numbers(session, "case")[0]
    policy = clocks.choose_policy(
        session,
        priority=priority,
        severity=severity,
        account_id=account_id,
        contract_line_id=contract_line_id,
        queue_id=queue_id,
    )
    targets = clocks.targets_of(session, policy)
    case = Case(
        number=number,
        title=title,
        description=description or "",
        area=area,
        priority=priority,
        severity=severity,
        status=Status.new,
        channel=channel,
        contact_id=contact_id,
        account_id=account_id,
        contract_line_id=contract_line_id,
        entitlement=used.state if used is not None else entitlements.Entitlement.none.value,
        parent_id=parent_id,
        queue_id=queue_id,
        owner_id=owner_id,
        creator_id=actor.id,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
        due_at=clocks.FAR_FUTURE,
        first_response_at=now if live else None,
        sla_flags=int(clocks.Flag.FIRST_RESPONSE_MET) if live else 0,
    )
    values = clocks.deadlines(case, targets, now)
    for key, value in values.items():
        setattr(case, key, value)
    session.add(case)
    session.flush()
    record_event(
        session,
        case_id=saved_id(case.id),
        at=now,
        actor_id=actor.id,
        kind="create",
        after={"queue_id": queue_id, "owner_id": case.owner_id, "status": Status.new.value},
        note=decision.reason if decision is not None else None,
        data={"policy": targets.name, "from_interaction": from_interaction,
              **({"routing": decision.event_data()} if decision is not None else {}),
              **(used.event_data() if used is not None else {"entitlement": "none"})},
    )
    if interaction is not None:
        session.execute(
            update(Interaction)
            .where(col(Interaction.id) == interaction.id)
            .values(case_id=case.id)
        )
    return case


def _route(session: Session, queue: Queue | None, now: datetime,
           new: NewCase) -> Decision | None:
    """Where a new case goes: the routing rules when no queue was given (queue, priority,
    severity and maybe an agent), else the given queue's own strategy (maybe an agent)."""
    if queue is None:
        return rules.decide(session, new, now)
    return rules.assign_in_queue(session, queue, new, now)


_EDITABLE = (
    "title",
    "description",
    "area",
    "priority",
    "severity",
    "contact_id",
    "contract_line_id",
)


def update_case(
    desk: Desk, actor: Actor, number: int | str, *, version: int, **changes: Any
) -> CaseDetail:
    """Edit a case's fields, only if nobody changed it since ``version``.

    Its owner, a member of its home queue or a supervisor may; closed and cancelled cases
    are refused. One ``update`` event holds every field's ``[before, after]`` (and a note
    saying it in words for the timeline). Changing priority, severity, the customer or the
    contract line re-evaluates the SLA policy; paused time is kept. A changed contract line
    moves the case's count from the old line to the new one.
    """
    unknown = set(changes) - set(_EDITABLE)
    if unknown:
        raise ValidationError(_("cannot edit {fields}").format(fields=", ".join(sorted(unknown))))
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        if case.status in (Status.closed, Status.cancelled):
            raise InvalidTransition(_("{case} is {status}: reopen it first").format(
                case=case_label(case.number), status=label("status", case.status)))
        require_work_on(session, actor, case, N_("edit it"))
        values: dict[str, Any] = {}
        for key, value in changes.items():
            if key == "priority":
                value = _check_choice(value, Priority, N_("priority"))
            elif key == "severity":
                value = _check_choice(value, Severity, N_("severity"))
            elif key == "area":
                value = _check_choice(value, Area, N_("area"))
            elif key == "title":
                value = storable((value or "").strip(), N_("the title"), 300)
                if not value:
                    raise ValidationError(_("a case needs a title"))
            elif key == "description":
                value = storable(value or "", N_("the description"))
            if getattr(case, key) != value:
                values[key] = value
        if not values:
            return case_detail(session, saved_id(case.id))
        if "contact_id" in values:
            account_id = None
            if values["contact_id"] is not None:
                contact = session.get(Contact, storable_id(values["contact_id"], "contact"))
                if contact is None:
                    raise NotFound(_("no contact {id}").format(id=values["contact_id"]))
                account_id = contact.account_id
            if account_id != case.account_id:
                values["account_id"] = account_id
        line = values.get("contract_line_id", case.contract_line_id)
        if line is not None and {"contract_line_id", "contact_id"} & set(values):
            _check_contract_line(session, line, values.get("account_id", case.account_id))
        data: dict[str, Any] = {k: [getattr(case, k), v] for k, v in values.items()}
        note = _edit_note(session, case, values)
        if {"priority", "severity", "contract_line_id", "account_id"} & set(values):
            merged = {**case.model_dump(), **values}
            policy = clocks.choose_policy(
                session,
                priority=merged["priority"],
                severity=merged["severity"],
                account_id=merged["account_id"],
                contract_line_id=merged["contract_line_id"],
                queue_id=case.queue_id,
            )
            targets = clocks.targets_of(session, policy)
            # Paused time is kept: completed pauses are in paused_seconds, an ongoing
            # pause is added on resume from paused_at.
            values.update(clocks.deadlines(clocks.ClockFacts.of(case), targets, now))
            data["policy"] = targets.name
        if "contract_line_id" in values:  # the case now counts against the new line
            state = _move_case_count(session, case.contract_line_id,
                                     values["contract_line_id"],
                                     entitlements.day_of(session, actor.id, now))
            data["entitlement"] = [case.entitlement, state]
            values["entitlement"] = state
        apply_change(
            session,
            case,
            actor,
            now,
            kind="update",
            values=values,
            expected_version=version,
            note=note,
            data=data,
        )
        return case_detail(session, saved_id(case.id))


def _move_case_count(session: Session, old: int | None, new: int | None, on: date) -> str:
    """The case counts against ``new`` instead of ``old`` (lines that allot cases); the
    entitlement the case now records."""
    if old is not None:
        entitlements.uncount_case(session, old)
    if new is None:
        return entitlements.Entitlement.none.value
    return entitlements.count_case(session, new, on).state


#: How an edited field is named in the timeline.
_FIELD_WORDS = {
    "title": "title",
    "area": "category",
    "priority": "priority",
    "severity": "severity",
    "contact_id": "customer",
    "contract_line_id": "contract line",
}


def _edit_note(session: Any, case: Case, values: dict[str, Any]) -> str:
    """``priority medium → high; title “Router” → “Router sin señal”; description edited``."""
    parts: list[str] = []
    for key, word in _FIELD_WORDS.items():
        if key not in values:
            continue
        old, new = getattr(case, key), values[key]
        if key == "title":
            parts.append(f"title “{old}” → “{new}”")
        elif key in ("contact_id", "contract_line_id"):
            model = Contact if key == "contact_id" else ContractLine
            parts.append(f"{word} {_name(session, model, old)} → {_name(session, model, new)}")
        else:
            parts.append(f"{word} {old} → {new}")
    if "description" in values:
        parts.append("description edited")
    return "; ".join(parts)


def _name(session: Any, model: Any, row_id: int | None) -> str:
    if row_id is None:
        return "none"
    row = session.get(model, row_id)
    return str(row.name) if row is not None else f"#{row_id}"


def add_note(desk: Desk, actor: Actor, number: int | str, text: str) -> CaseDetail:
    """An internal note on the case's timeline: an append, never refused for a stale version."""
    if not text or not text.strip():
        raise ValidationError(_("a note needs some text"))
    now = desk.now()
    done = fastwrites.add_note(desk, actor, number, text, now)
    if done is not None:
        return done
    with write_session(desk.engine) as session:
        case = load_case(session, number, lock=True)
        apply_change(
            session, case, actor, now, kind="note", values={}, note=text.strip(), append=True
        )
        return case_detail(session, saved_id(case.id))


def link_parent(
    desk: Desk,
    actor: Actor,
    number: int | str,
    parent: int | str | None,
    *,
    version: int | None = None,
) -> CaseDetail:
    """Make ``parent`` the case's parent (a major case); ``None`` unlinks. No cycles."""
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, number)
        parent_id = None
        if parent is not None:
            parent_case = load_case(session, parent)
            parent_id = parent_case.id
            cursor: int | None = parent_id
            seen = set()
            while cursor is not None and cursor not in seen:
                if cursor == case.id:
                    raise ValidationError(
                        _("{parent} is {case} or one "
                          "of its children: a case cannot be its own ancestor").format(
                            parent=case_label(parent_case.number), case=case_label(case.number))
                    )
                seen.add(cursor)
                cursor = session.execute(
                    select(col(Case.parent_id)).where(col(Case.id) == cursor)
                ).scalar_one_or_none()
        apply_change(
            session,
            case,
            actor,
            now,
            kind="link",
            values={"parent_id": parent_id},
            expected_version=version,
            note=f"parent {case_label(parent_case.number)}" if parent_id else "unlinked",
            data={"parent": case_label(parent_case.number) if parent_id else None},
        )
        return case_detail(session, saved_id(case.id))



def log_time(
    desk: Desk, actor: Actor, number: int | str, minutes: int, note: str | None = None
) -> CaseDetail:
    """Record minutes of work on a case: :func:`casedesk.services.workflow.timelog.log_time`
    (its home now, with kinds of time and totals; kept here for its callers)."""
    from casedesk.services.workflow import timelog

    return timelog.log_time(desk, actor, number, minutes, note)
