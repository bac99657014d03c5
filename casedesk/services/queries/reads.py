"""Read-only queries: case detail, queue inbox (keyset-paged), WIP bin, timeline,
customer history and case search. All return read models from ``views``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from casedesk.db import read_session
from casedesk.errors import NotFound, ValidationError
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models import (
    Account,
    AccountProduct,
    Agent,
    Case,
    CaseEvent,
    Contact,
    Contract,
    ContractLine,
    Interaction,
    Priority,
    Product,
    Queue,
    Severity,
    SlaPolicy,
    Status,
    Task,
    TimeEntry,
)
from casedesk.models.base import saved_id
from casedesk.models.cases import case_is_active
from casedesk.services.context import (
    LIKE_ESCAPE,
    Desk,
    contains_pattern,
    in_id_range,
    load_case,
    load_queue,
    searchable,
    storable_id,
)
from casedesk.services.contracts.entitlements import amount
from casedesk.services.directory.customers import MIN_PHONE_DIGITS
from casedesk.services.knowledge.folding import tokens
from casedesk.services.numbers import case_label
from casedesk.services.queries.event_text import event_sentence
from casedesk.services.queries.views import (
    CaseDetail,
    CaseRow,
    CustomerHistory,
    InteractionView,
    Page,
    TimelineEntry,
    label_of,
)

_Owner = aliased(Agent)

#: A select of any columns (the row shapes differ; ``_to_row`` and ``interaction_view`` read them).
AnySelect = Select[*tuple[Any, ...]]


def _row_select() -> AnySelect:
    return (
        select(Case, col(Queue.name), col(_Owner.login), col(_Owner.name), col(Contact.name))
        .outerjoin(Queue, col(Queue.id) == Case.queue_id)
        .outerjoin(_Owner, col(_Owner.id) == Case.owner_id)
        .outerjoin(Contact, col(Contact.id) == Case.contact_id)
    )


def _to_row(
    case: Case, queue: str | None, owner: str | None, owner_name: str | None, contact: str | None
) -> CaseRow:
    return CaseRow(
        id=saved_id(case.id),
        number=case.number,
        label=case_label(case.number),
        title=case.title,
        status=case.status,
        priority=case.priority,
        severity=case.severity,
        area=case.area,
        queue=queue,
        owner=owner,
        owner_name=owner_name,
        contact=contact,
        due_at=case.due_at,
        first_response_due=case.first_response_due if case.first_response_at is None else None,
        resolution_due=case.resolution_due,
        next_response_due=case.next_response_due,
        created_at=case.created_at,
        updated_at=case.updated_at,
        version=case.version,
    )


_Creator = aliased(Agent)
_Parent = aliased(Case)


#: the case's own columns a CaseDetail shows, first in a :func:`detail_statement` row
_DETAIL_CASE = (
    "id", "number", "title", "description", "status", "priority", "severity", "area",
    "channel", "contact_id", "created_at", "updated_at", "last_activity_at", "due_at",
    "first_response_due", "first_response_at", "next_response_due", "resolution_due",
    "inactivity_due", "autoclose_due", "paused_at", "paused_seconds", "sla_flags",
    "resolution_type", "resolution_notes", "resolved_at", "closed_at", "version",
)
#: where a column added after :func:`detail_statement`'s own sits (PostgreSQL's one-statement
#: changes add the children's numbers there): the case's columns and the 12 joined ones
CHILDREN_AT = len(_DETAIL_CASE) + 12


def detail_statement(source: Any = Case) -> Select[Any]:
    """The select of :func:`case_detail`'s columns for the case rows of ``source``: the
    ``Case`` table, or ``aliased(Case, cte)`` over a CTE that returns case rows (a claim's
    ``UPDATE … RETURNING``). Plain columns, only those shown — no ORM objects to build
    (the rows of four whole entities had cost a third of a claim's client CPU). The
    aliases are built once, at import."""
    return (
        select(
            *[getattr(source, name) for name in _DETAIL_CASE],
            col(Queue.name),
            col(_Owner.login),
            col(_Owner.name),
            col(_Creator.login),
            col(Contact.name),
            col(Contact.email),
            col(Contact.phone),
            col(Account.name),
            col(Account.tier),
            col(ContractLine.name),
            col(SlaPolicy.name),
            col(_Parent.number),
        )
        .select_from(source)
        .outerjoin(Contact, col(Contact.id) == source.contact_id)
        .outerjoin(Account, col(Account.id) == source.account_id)
        .outerjoin(_Owner, col(_Owner.id) == source.owner_id)
        .outerjoin(Queue, col(Queue.id) == source.queue_id)
        .outerjoin(_Creator, col(_Creator.id) == source.creator_id)
        .outerjoin(ContractLine, col(ContractLine.id) == source.contract_line_id)
        .outerjoin(SlaPolicy, col(SlaPolicy.id) == source.sla_policy_id)
        .outerjoin(_Parent, col(_Parent.id) == source.parent_id)
    )


#: :func:`case_detail`'s two statements, built once: a statement object keeps its cache
#: key, so a read no longer builds nine joins and hashes them anew
_DETAIL_OF = detail_statement().where(col(Case.id) == bindparam("x_case"))
_CHILDREN_OF = (
    select(col(Case.number))
    .where(col(Case.parent_id) == bindparam("x_case"))
    .order_by(col(Case.number))
)


def case_detail(session: Session, case_id: int) -> CaseDetail:
    """The full read model of one case, read inside ``session``."""
    row = session.execute(_DETAIL_OF, {"x_case": case_id}).first()
    if row is None:
        raise NotFound(_("no case with id {id}").format(id=case_id))
    children = session.execute(_CHILDREN_OF, {"x_case": case_id}).scalars().all()
    return detail_from_row(row, children)


def detail_from_row(row: Any, children: Sequence[int]) -> CaseDetail:
    """A :func:`detail_statement` row (and the children's numbers) as a CaseDetail."""
    own = dict(zip(_DETAIL_CASE, row, strict=False))
    case_id = saved_id(own.pop("id"))
    (queue, owner, owner_name, creator, contact, email, phone, account, tier, line, policy,
     parent) = row[len(_DETAIL_CASE):CHILDREN_AT]
    return CaseDetail(
        **own,
        id=case_id,
        label=case_label(own["number"]),
        queue=queue,
        owner=owner,
        owner_name=owner_name,
        creator=creator,
        contact=contact,
        contact_email=email,
        contact_phone=phone,
        account=account,
        account_tier=tier,
        contract_line=line,
        parent=label_of(parent),
        children=[case_label(n) for n in children],
        sla_policy=policy,
    )


def get_case(desk: Desk, number: int | str) -> CaseDetail:
    with read_session(desk.engine) as session:
        case = load_case(session, number)
        return case_detail(session, saved_id(case.id))


def inbox(
    desk: Desk,
    queue: str | int,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
    priority: str | None = None,
    severity: str | None = None,
    status: str | None = None,
    text: str | None = None,
) -> Page:
    """A queue's waiting cases, most urgent first, one keyset page at a time."""
    with read_session(desk.engine) as session:
        q = load_queue(session, queue)
        stmt = inbox_statement(saved_id(q.id), after=after, limit=limit)
        stmt = _filters(stmt, priority=priority, severity=severity, status=status, text=text)
        rows = [_to_row(*r) for r in session.execute(stmt).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, (rows[-1].due_at, rows[-1].id) if more and rows else None)


def inbox_statement(
    queue_id: int, *, after: tuple[datetime, int] | None = None, limit: int = 50
) -> AnySelect:
    """The keyset-paged inbox query (one more row than ``limit``, to know if more follow).

    It is served by the partial index ``ix_case_inbox (queue_id, due_at, id)``.
    """
    stmt = _row_select().where(
        col(Case.queue_id) == queue_id, col(Case.owner_id).is_(None), case_is_active()
    )
    if after is not None:
        stmt = stmt.where(tuple_(col(Case.due_at), col(Case.id)) > tuple_(after[0], after[1]))
    return stmt.order_by(col(Case.due_at), col(Case.id)).limit(limit + 1)


def check_filter(value: str | None, allowed: type[StrEnum], field: str) -> str | None:
    """A filter value that is one of ``allowed``'s codes, or ValidationError (never an
    empty list for a typo)."""
    if value is None or value == "":
        return None
    choices = [m.value for m in allowed]
    if value not in choices:
        raise ValidationError(_("{field} {value} is not one of {choices}").format(
            field=_(field), value=repr(value), choices=", ".join(choices)))
    return value


def _filters(
    stmt: AnySelect,
    *,
    priority: str | None,
    severity: str | None,
    status: str | None,
    text: str | None,
) -> AnySelect:
    priority = check_filter(priority, Priority, N_("priority"))
    severity = check_filter(severity, Severity, N_("severity"))
    status = check_filter(status, Status, N_("status"))
    if priority:
        stmt = stmt.where(col(Case.priority) == priority)
    if severity:
        stmt = stmt.where(col(Case.severity) == severity)
    if status:
        stmt = stmt.where(col(Case.status) == status)
    text = searchable(text or "").strip()
    if text:
        stmt = stmt.where(or_(*typed_text_matches(text)))
    return stmt


def wip_bin(desk: Desk, agent_id: int, *, limit: int = 500) -> list[CaseRow]:
    """An agent's bin: active cases by nearest deadline."""
    with read_session(desk.engine) as session:
        stmt = (
            _row_select()
            .where(col(Case.owner_id) == agent_id, case_is_active())
            .order_by(col(Case.due_at), col(Case.id))
            .limit(limit)
        )
        return [_to_row(*r) for r in session.execute(stmt).all()]


def list_cases(
    desk: Desk,
    *,
    queue: str | None = None,
    owner_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[CaseRow]:
    """Cases by any mix of queue, owner and status, most urgent first."""
    status = check_filter(status, Status, N_("status"))
    with read_session(desk.engine) as session:
        stmt = _row_select()
        if queue:
            stmt = stmt.where(col(Case.queue_id) == load_queue(session, queue).id)
        if owner_id is not None:
            stmt = stmt.where(col(Case.owner_id) == owner_id)
        if status:
            stmt = stmt.where(col(Case.status) == status)
        stmt = stmt.order_by(col(Case.due_at), col(Case.id)).limit(limit)
        return [_to_row(*r) for r in session.execute(stmt).all()]


_CASE_NUMBER_TEXT = re.compile(r"^\s*(?:cs-?)?0*(\d{1,19})\s*$", re.IGNORECASE)

_PLAIN_WORDS = re.compile(r"[^\W_]+(?:\s+[^\W_]+)*")


def typed_text_matches(text: str) -> list[ColumnElement[bool]]:
    """The one search rule for a case list's text filter and case search (any of these).

    The title, the customer's name, e-mail or phone contain ``text`` as typed (``%``,
    ``_`` and ``\\`` match themselves); a case number (``CS-000123``, ``123``) is that
    case; a phone typed with or without separators matches the customer's phone digits
    (``contact.phone_key``). Text of only words also matches accent-, case- and
    separator-insensitively, in any order: every folded word is in the folded title
    (``casedesk_fold()``, on both databases) or in the customer's ``name_key``
    (``gomez laura`` finds a case of Laura Gómez; ``CAIDA fibra`` one titled "Caída de
    fibra"). Typed punctuation is kept literal, so ``mi_r`` is not ``mi r``.
    """
    pattern = contains_pattern(text)
    conditions: list[ColumnElement[bool]] = [
        col(Case.title).ilike(pattern, escape=LIKE_ESCAPE),
        col(Contact.name).ilike(pattern, escape=LIKE_ESCAPE),
        col(Contact.email).ilike(pattern, escape=LIKE_ESCAPE),
        col(Contact.phone).ilike(pattern, escape=LIKE_ESCAPE),
    ]
    digits = re.sub(r"\D", "", text)
    if len(digits) >= MIN_PHONE_DIGITS and re.fullmatch(r"[\d\s().+/-]+", text):
        conditions.append(col(Contact.phone_key).like(f"%{digits}%"))
    match = _CASE_NUMBER_TEXT.match(text)
    if match is not None and in_id_range(int(match.group(1))):
        conditions.append(col(Case.number) == int(match.group(1)))
    words = tokens(text) if _PLAIN_WORDS.fullmatch(text) else []
    if words:  # folded words hold letters and digits only: no LIKE wildcard among them
        conditions.append(and_(*[func.casedesk_fold(col(Case.title)).like(f"%{w}%")
                                 for w in words]))
        conditions.append(and_(*[col(Contact.name_key).like(f"%{w}%") for w in words]))
    return conditions


def search_cases(desk: Desk, text: str, *, limit: int = 50) -> list[CaseRow]:
    """By number (exact), or title / contact name / e-mail / phone (substring).

    Digits are a case number only when they fit one (≤ 2**63 - 1); a phone typed with or
    without separators (``600 111 222``, ``+34600111222``) matches the contact's phone
    however it is written. ``%``, ``_`` and ``\\`` match themselves.
    """
    text = searchable(text).strip()
    if not text:
        return []
    with read_session(desk.engine) as session:
        stmt = _row_select()
        conditions = typed_text_matches(text)
        stmt = (
            stmt.where(or_(*conditions))
            .order_by(col(Case.updated_at).desc(), col(Case.id))
            .limit(limit)
        )
        return [_to_row(*r) for r in session.execute(stmt).all()]


def interaction_view(
    i: Interaction, contact: str | None, agent: str | None, case_number: int | None
) -> InteractionView:
    return InteractionView(
        id=saved_id(i.id),
        channel=i.channel,
        direction=i.direction,
        typification=i.typification,
        contact_id=i.contact_id,
        contact=contact,
        agent=agent,
        case=label_of(case_number),
        started_at=i.started_at,
        duration_seconds=i.duration_seconds,
        subject=i.subject,
        notes=i.notes,
    )


def interaction_select() -> AnySelect:
    return (
        select(Interaction, col(Contact.name), col(Agent.name), col(Case.number))
        .outerjoin(Contact, col(Contact.id) == Interaction.contact_id)
        .outerjoin(Agent, col(Agent.id) == Interaction.agent_id)
        .outerjoin(Case, col(Case.id) == Interaction.case_id)
    )


def timeline(desk: Desk, number: int | str) -> list[TimelineEntry]:
    """A case's whole history, oldest first: events, interactions and time entries."""
    with read_session(desk.engine) as session:
        case = load_case(session, number)
        queues: dict[int | None, str] = {
            id_: name for id_, name in session.execute(select(col(Queue.id), col(Queue.name)))
        }
        agents: dict[int | None, str] = {
            id_: name for id_, name in session.execute(select(col(Agent.id), col(Agent.name)))
        }
        tasks: dict[int, tuple[str, datetime | None]] = {
            int(id_): (title, due) for id_, title, due in session.execute(
                select(col(Task.id), col(Task.title), col(Task.due_at))
                .where(col(Task.case_id) == case.id))
        }
        entries: list[TimelineEntry] = []
        events = session.execute(
            select(CaseEvent)
            .where(col(CaseEvent.case_id) == case.id)
            .order_by(col(CaseEvent.at), col(CaseEvent.id))
        ).scalars()
        for ev in events:
            if ev.kind == "time" or (
                ev.kind == "interaction" and (ev.data or {}).get("interaction_id") is not None
            ):
                continue  # listed in full below, from the interaction or time entry itself
            # a task event's sentence says it: "task added: …", "task done: …"
            parts = [] if ev.kind == "task" else [label("event", ev.kind)]
            if ev.from_queue_id != ev.to_queue_id:
                parts.append(_("queue {before} → {after}").format(
                    before=queues.get(ev.from_queue_id, "—"),
                    after=queues.get(ev.to_queue_id, "—")))
            if ev.from_owner_id != ev.to_owner_id:
                parts.append(_("owner {before} → {after}").format(
                    before=agents.get(ev.from_owner_id, "—"),
                    after=agents.get(ev.to_owner_id, "—")))
            if ev.from_status != ev.to_status:
                parts.append(_("status {before} → {after}").format(
                    before=label("status", ev.from_status) or "—",
                    after=label("status", ev.to_status)))
            data = dict(ev.data or {})
            sentence = event_sentence(ev.kind, ev.note, data, ev.at, tasks=tasks,
                                      owner_before=agents.get(ev.from_owner_id))
            if sentence:
                parts.append(sentence)
            if ev.kind in ("mail_delivered", "mail_failed") and data.get("error"):
                parts.append(str(data["error"]))
            actor = agents.get(ev.actor_id)
            if actor is None and data.get("by") == "customer":
                actor = _("customer")  # a customer's e-mail resumed or reopened the case
            entries.append(TimelineEntry(ev.at, ev.kind, actor, " · ".join(parts), data))
        for i, contact, agent, _number in session.execute(
            interaction_select().where(col(Interaction.case_id) == case.id)
        ).all():
            text = _("{direction} {channel}: {subject}").format(
                direction=label("direction", i.direction), channel=label("channel", i.channel),
                subject=i.subject) + (f" — {i.notes}" if i.notes else "")
            entries.append(
                TimelineEntry(
                    i.started_at,
                    "interaction",
                    agent,
                    text,
                    {"contact": contact, "duration_seconds": i.duration_seconds},
                )
            )
        for t, agent in session.execute(
            select(TimeEntry, col(Agent.name))
            .join(Agent, col(Agent.id) == TimeEntry.agent_id)
            .where(col(TimeEntry.case_id) == case.id)
        ).all():
            entries.append(
                TimelineEntry(
                    t.at,
                    "time",
                    agent,
                    _("{minutes} min").format(minutes=t.minutes)
                    + (f" — {t.note}" if t.note else ""),
                    {"minutes": t.minutes},
                )
            )
    order = {"create": 0}
    entries.sort(key=lambda e: (e.at, order.get(e.kind, 1)))
    return entries


def details_text(entry: TimelineEntry) -> str:
    """An entry's text without its leading event word (for a view that shows the word in
    a column of its own)."""
    word = label("event", entry.kind)
    if entry.text == word:
        return ""
    return entry.text.removeprefix(word + " · ")


def customer_history(desk: Desk, contact_id: int, *, limit: int = 100) -> CustomerHistory:
    """A contact's interactions and cases, newest first, and the account's holdings."""
    with read_session(desk.engine) as session:
        contact = session.get(Contact, storable_id(contact_id, "contact"))
        if contact is None:
            raise NotFound(_("no contact {id}").format(id=contact_id))
        account = session.get(Account, contact.account_id) if contact.account_id else None
        interactions = [
            interaction_view(*r)
            for r in session.execute(
                interaction_select()
                .where(col(Interaction.contact_id) == contact_id)
                .order_by(col(Interaction.started_at).desc())
                .limit(limit)
            ).all()
        ]
        case_filter: ColumnElement[bool] = col(Case.contact_id) == contact_id
        if account is not None:
            case_filter = or_(case_filter, col(Case.account_id) == account.id)
        cases = [
            _to_row(*r)
            for r in session.execute(
                _row_select().where(case_filter).order_by(col(Case.created_at).desc()).limit(limit)
            ).all()
        ]
        products: list[str] = []
        contracts: list[str] = []
        if account is not None:
            products = [
                name + (f" ({serial})" if serial else "")
                for name, serial in session.execute(
                    select(col(Product.name), col(AccountProduct.serial))
                    .join(AccountProduct, col(AccountProduct.product_id) == Product.id)
                    .where(col(AccountProduct.account_id) == account.id)
                ).all()
            ]
            for contract, line in session.execute(
                select(Contract, ContractLine)
                .outerjoin(ContractLine, col(ContractLine.contract_id) == Contract.id)
                .where(col(Contract.account_id) == account.id)
            ).all():
                text = f"{contract.number} {contract.name}"
                if line is not None:
                    text += " — " + _("{line}: {used}/{total}").format(
                        line=line.name, used=line.used, total=amount(line.total, line.allotment))
                contracts.append(text)
        return CustomerHistory(
            contact_id,
            contact.name,
            account.name if account else None,
            interactions,
            cases,
            products,
            contracts,
        )


def interactions_today(desk: Desk, agent_id: int, since: datetime) -> list[InteractionView]:
    """An agent's interactions since ``since`` (the start of their day), newest first."""
    with read_session(desk.engine) as session:
        return [
            interaction_view(*r)
            for r in session.execute(
                interaction_select()
                .where(
                    and_(
                        col(Interaction.agent_id) == agent_id, col(Interaction.started_at) >= since
                    )
                )
                .order_by(col(Interaction.started_at).desc())
            ).all()
        ]
