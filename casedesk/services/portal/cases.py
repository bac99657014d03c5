"""The signed-in customer's cases: what they see and what they may do on them.

Reach: a case whose contact is the customer, or — when :attr:`PortalOptions.account_cases`
— whose account is the customer's. Any other case, and a case that does not exist, is the
same :class:`~casedesk.errors.NotFound` (nobody learns which numbers exist).

What is shown is public by construction (:func:`case_view`): the case's title, status and
times, the resolution proposed, the quotes, the customer's files, and a timeline of the
customer-facing contact moments — e-mails and web messages with their text; calls, visits
and chats only as "a phone call on …" (their notes are the agent's). Never the case
events' notes, internal notes, the queue, the owner, or other customers; agents' names only
with :attr:`PortalOptions.show_agent_names`.

What the customer does is recorded as the customer's doing (no agent, ``data.by =
"customer"``), each change one guarded UPDATE plus one event (``changes.apply_change``):

- :func:`comment` (and :func:`add_file`) — an inbound ``web`` interaction on the case that
  moves it on as a customer's e-mail does (DESIGN §Status): awaiting the customer →
  resumes, resolved → reopens, both to ``in_progress``; closed or cancelled → a new case
  follows it (``extras.follows``) and the comment goes there;
- :func:`accept` — resolved → closed (the customer confirms); :func:`reject` — resolved →
  in_progress, with the customer's reason as the comment;
- :func:`decide_quote` — a pending quote → approved / declined, with an interaction;
- :func:`answer_survey` — one answer (1–5) per closed case: ``case.satisfaction`` (which
  the reports read), a ``survey_answer`` row and an interaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from gettext import NullTranslations
from typing import Any, cast

from sqlalchemy import CursorResult, insert, or_, select, update
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import InvalidTransition, NotFound, ValidationError
from casedesk.models import Agent, Case, Contact, Interaction, Status
from casedesk.models.base import saved_id
from casedesk.models.portal import PortalFile, Quote, SurveyAnswer
from casedesk.services.context import Actor, Desk, storable
from casedesk.services.numbers import case_label, parse_case_number
from casedesk.services.portal import PortalOptions
from casedesk.services.portal.language import translator
from casedesk.services.portal.signin import Customer
from casedesk.services.sla import clocks
from casedesk.services.workflow import transitions
from casedesk.services.workflow.cases import open_case
from casedesk.services.workflow.changes import apply_change

#: the largest file a customer may add (bytes)
MAX_FILE = 5 * 1024 * 1024
MAX_COMMENT = 20_000
#: channels whose interaction text the customer wrote or was sent (shown in full)
_WRITTEN = ("email", "web", "letter")


@dataclass(frozen=True)
class CaseRow:
    """One line of the customer's case list."""

    number: int
    label: str
    title: str
    status: str
    created_at: datetime
    updated_at: datetime
    #: the customer's own case (False: another contact's of their account)
    own: bool


@dataclass(frozen=True)
class Entry:
    """One customer-facing moment of a case."""

    at: datetime
    #: ``you``, ``desk`` (an agent, named in ``name`` when configured) or ``contact``
    who: str
    name: str
    channel: str
    subject: str
    text: str
    #: the files added with it: (portal file id, name)
    files: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class QuoteView:
    id: int
    amount_cents: int
    currency: str
    description: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class CaseView:
    """One case as its customer sees it."""

    row: CaseRow
    description: str
    resolution: str
    entries: list[Entry] = field(default_factory=list)
    quotes: list[QuoteView] = field(default_factory=list)
    satisfaction: int | None = None

    @property
    def may_accept(self) -> bool:
        return self.row.status == Status.resolved

    @property
    def survey_open(self) -> bool:
        return self.row.status == Status.closed and self.satisfaction is None


# --- reach -----------------------------------------------------------------------------


def _reach(customer: Customer, options: PortalOptions) -> Any:
    """The condition on ``case`` for the cases this customer may see."""
    mine = col(Case.contact_id) == customer.contact_id
    if options.account_cases and customer.account_id is not None:
        return or_(mine, col(Case.account_id) == customer.account_id)
    return mine


def _number(number: int | str) -> int:
    try:
        value = parse_case_number(number) if isinstance(number, str) else number
    except Exception:  # noqa: BLE001 - any unreadable number is simply "no such case"
        raise NotFound("no such case") from None
    if not isinstance(value, int) or not 0 < value < 2**63:
        raise NotFound("no such case")
    return value


def _load(session: Session, customer: Customer, options: PortalOptions, number: int | str,
          *, lock: bool = False) -> Case:
    stmt = select(Case).where(col(Case.number) == _number(number), _reach(customer, options))
    if lock:
        stmt = stmt.with_for_update()
    case = session.execute(stmt.execution_options(populate_existing=True)).scalar_one_or_none()
    if not isinstance(case, Case):
        raise NotFound("no such case")
    return case


def _row(case: Case, customer: Customer) -> CaseRow:
    return CaseRow(case.number, case_label(case.number), case.title, case.status,
                   case.created_at, case.updated_at, case.contact_id == customer.contact_id)


# --- reads -----------------------------------------------------------------------------


def my_cases(desk: Desk, customer: Customer, options: PortalOptions, *, limit: int = 200
             ) -> list[CaseRow]:
    """The customer's cases, the latest change first (at most ``limit``)."""
    with read_session(desk.engine) as session:
        cases = session.execute(
            select(Case).where(_reach(customer, options))
            .order_by(col(Case.updated_at).desc(), col(Case.id).desc()).limit(limit)
        ).scalars().all()
        return [_row(c, customer) for c in cases]


def case_view(desk: Desk, customer: Customer, options: PortalOptions, number: int | str
              ) -> CaseView:
    """One of the customer's cases, with its public timeline (NotFound otherwise)."""
    with read_session(desk.engine) as session:
        case = _load(session, customer, options, number)
        rows = session.execute(
            select(Interaction, col(Agent.name), col(Contact.name))
            .outerjoin(Agent, col(Agent.id) == col(Interaction.agent_id))
            .outerjoin(Contact, col(Contact.id) == col(Interaction.contact_id))
            .where(col(Interaction.case_id) == case.id)
            .order_by(col(Interaction.started_at), col(Interaction.id))
        ).all()
        entries = [_entry(i, agent, contact, customer, options) for i, agent, contact in rows]
        quotes = [
            QuoteView(saved_id(q.id), q.amount_cents, q.currency, q.description, q.status,
                      q.created_at)
            for q in session.execute(
                select(Quote).where(col(Quote.case_id) == case.id).order_by(col(Quote.id))
            ).scalars()
        ]
        resolution = (case.resolution_notes or "") if case.status in (
            Status.resolved, Status.closed) else ""
        return CaseView(_row(case, customer), case.description or "", resolution, entries,
                        quotes, case.satisfaction)


def _entry(i: Interaction, agent: str | None, contact: str | None, customer: Customer,
           options: PortalOptions) -> Entry:
    if i.direction == "outbound" or (i.agent_id is not None and i.direction != "inbound"):
        who, name = "desk", (agent or "") if options.show_agent_names else ""
    elif i.contact_id == customer.contact_id:
        who, name = "you", customer.name
    else:  # someone else wrote on the case: named only where the account's cases are shared
        who, name = "contact", (contact or "") if options.account_cases else ""
    written = i.channel in _WRITTEN
    files = tuple((int(a["portal_file"]), str(a.get("name", ""))) for a in (i.attachments or [])
                  if isinstance(a, dict) and isinstance(a.get("portal_file"), int))
    return Entry(i.started_at, who, name, i.channel, i.subject if written else "",
                 (i.notes or "") if written else "", files)


# --- the customer writes ---------------------------------------------------------------


def _customer_writes(session: Session, desk: Desk, case: Case, interaction_id: int,
                     customer: Customer, note: str, *, extra: dict[str, Any] | None = None
                     ) -> None:
    """An inbound contact from the customer on ``case``, as a customer's e-mail is
    (:meth:`casedesk.services.imports.mail.MailImport._join`): a waiting case resumes, a
    resolved one reopens; a next-response cycle starts when the case is being worked."""
    now = desk.now()
    kind, to = "interaction", None
    if case.status == Status.awaiting_customer:
        kind, to = "resume", Status.in_progress
    elif case.status == Status.resolved:
        kind, to = "reopen", Status.in_progress
    values, breaches = clocks.customer_message_values(session, case, to, now)
    words = {"interaction": "inbound web", "resume": "resumed by the customer in the portal",
             "reopen": "reopened by the customer in the portal"}[kind]
    apply_change(session, case, None, now, kind=kind, values=values,
                 guard=(col(Case.status) == case.status,),
                 note=f"{words}: {note}".rstrip(": ")[:500],
                 data={"interaction_id": interaction_id, "by": "customer",
                       "contact": customer.email, "contact_id": customer.contact_id,
                       "via": "portal", **(extra or {})})
    transitions.record_breaches(session, case, breaches, now)


def _interaction(session: Session, desk: Desk, case: Case, customer: Customer, *,
                 subject: str, text: str, typification: str = "query",
                 attachments: list[dict[str, Any]] | None = None) -> int:
    interaction_id: int = session.execute(
        insert(Interaction).values(
            channel="web", direction="inbound", typification=typification,
            contact_id=customer.contact_id, agent_id=None, case_id=case.id,
            started_at=desk.now(), duration_seconds=0, subject=subject[:500], notes=text,
            email_from=customer.email[:500] or None, attachments=attachments or None)
        .returning(col(Interaction.id))
    ).scalar_one()
    return interaction_id


def _follow_up(session: Session, desk: Desk, actor: Actor, case: Case, customer: Customer,
               text: str) -> Case:
    """A new case that follows a closed or cancelled one (DESIGN §Status)."""
    new = open_case(session, desk, actor, title=case.title, description=text,
                    area=case.area, contact_id=customer.contact_id, channel="web")
    session.execute(update(Case).where(col(Case.id) == new.id).values(
        extras={"follows": case_label(case.number)}))
    return new


@dataclass(frozen=True)
class Written:
    """Where a comment landed: its case (a new one when the old was closed)."""

    number: int
    label: str
    follows: str | None = None


def comment(desk: Desk, actor: Actor, customer: Customer, options: PortalOptions,
            number: int | str, text: str, *, file: tuple[str, str, bytes] | None = None,
            lang: str = "en") -> Written:
    """The customer writes on their case (optionally with a file ``(name, type, bytes)``).

    ``actor`` is the web's login, the creator of a follow-up case."""
    tr = translator(lang)
    text = storable((text or "").strip(), tr.gettext("the comment"), MAX_COMMENT)
    if not text and file is None:
        raise ValidationError(tr.gettext("Write something, or choose a file."))
    upload = _checked_file(file, tr) if file is not None else None
    with write_session(desk.engine) as session:
        case = _load(session, customer, options, number, lock=True)
        target, follows = case, None
        if case.status in (Status.closed, Status.cancelled):
            target = _follow_up(session, desk, actor, case, customer,
                                text or (upload[0] if upload else ""))
            follows = case_label(case.number)
        subject = tr.gettext("Comment from the portal") if text else \
            tr.gettext("File from the portal")
        file_id = None
        attachments = None
        if upload is not None:
            name, kind, data = upload
            file_id = session.execute(insert(PortalFile).values(
                case_id=target.id, name=name, content_type=kind, size=len(data), data=data,
                created_at=desk.now()).returning(col(PortalFile.id))).scalar_one()
            attachments = [{"name": name, "size": len(data), "type": kind,
                            "portal_file": file_id}]
        iid = _interaction(session, desk, target, customer, subject=subject, text=text,
                           attachments=attachments)
        if file_id is not None:
            session.execute(update(PortalFile).where(col(PortalFile.id) == file_id)
                            .values(interaction_id=iid))
        if follows is None:
            _customer_writes(session, desk, target, iid, customer, subject)
        else:
            session.execute(update(Interaction).where(col(Interaction.id) == iid)
                            .values(case_id=target.id))
        return Written(target.number, case_label(target.number), follows)


def _checked_file(file: tuple[str, str, bytes], tr: NullTranslations) -> tuple[str, str, bytes]:
    name, kind, data = file
    name = "".join(ch for ch in (name or "").replace("\\", "/").rsplit("/", 1)[-1]
                   if ch.isprintable())[:255].strip() or "file"
    kind = "".join(ch for ch in (kind or "") if ch.isprintable())[:255] \
        or "application/octet-stream"
    if not data:
        raise ValidationError(tr.gettext("The file is empty."))
    if len(data) > MAX_FILE:
        raise ValidationError(tr.gettext("The file is larger than {size} MB.").format(
            size=MAX_FILE // (1024 * 1024)))
    return name, kind, data


def accept(desk: Desk, customer: Customer, options: PortalOptions, number: int | str, *,
           lang: str = "en") -> None:
    """The customer accepts the proposed resolution: resolved → closed."""
    tr = translator(lang)
    now = desk.now()
    with write_session(desk.engine) as session:
        case = _load(session, customer, options, number, lock=True)
        if case.status != Status.resolved:
            raise InvalidTransition(tr.gettext(
                "There is no proposed solution to accept on this case."))
        values, breaches = clocks.status_values(session, case, Status.closed, now)
        apply_change(session, case, None, now, kind="close", values=values,
                     guard=(col(Case.status) == case.status,),
                     note="the customer accepted the resolution in the portal",
                     data={"by": "customer", "contact": customer.email,
                           "contact_id": customer.contact_id, "via": "portal"})
        transitions.record_breaches(session, case, breaches, now)


def reject(desk: Desk, actor: Actor, customer: Customer, options: PortalOptions,
           number: int | str, reason: str, *, lang: str = "en") -> Written:
    """The customer rejects the proposed resolution: resolved → in_progress, the reason
    as their comment."""
    tr = translator(lang)
    if not (reason or "").strip():
        raise ValidationError(tr.gettext("Tell us what is still wrong."))
    with read_session(desk.engine) as session:
        if _load(session, customer, options, number).status != Status.resolved:
            raise InvalidTransition(tr.gettext(
                "There is no proposed solution to reject on this case."))
    return comment(desk, actor, customer, options, number, reason, lang=lang)


def decide_quote(desk: Desk, customer: Customer, options: PortalOptions, number: int | str,
                 quote_id: int, approve: bool, *, lang: str = "en") -> None:
    """Approve or decline a pending quote of the customer's case."""
    tr = translator(lang)
    now = desk.now()
    with write_session(desk.engine) as session:
        case = _load(session, customer, options, number, lock=True)
        quote = session.execute(
            select(Quote).where(col(Quote.id) == quote_id, col(Quote.case_id) == case.id)
        ).scalar_one_or_none()
        if quote is None:
            raise NotFound("no such quote")
        status = "approved" if approve else "declined"
        done = cast(CursorResult[Any], session.execute(
            update(Quote).where(col(Quote.id) == quote.id, col(Quote.status) == "pending")
            .values(status=status, decided_at=now).execution_options(
                synchronize_session=False)))
        if done.rowcount != 1:
            raise InvalidTransition(tr.gettext("This quote has already been decided."))
        amount = f"{quote.amount_cents / 100:.2f} {quote.currency}"
        subject = f"Quote {status}: {amount}"
        iid = _interaction(session, desk, case, customer, subject=subject,
                           text=quote.description, typification="request")
        _customer_writes(session, desk, case, iid, customer, subject,
                         extra={"quote": saved_id(quote.id), "decision": status})


#: the survey's answers: 1 (very unhappy) … 5 (very happy), as ``case.satisfaction``
SCORES = (1, 2, 3, 4, 5)


def answer_survey(desk: Desk, customer: Customer, options: PortalOptions, number: int | str,
                  score: int, remark: str = "", *, lang: str = "en") -> None:
    """The one satisfaction answer of a closed case: ``case.satisfaction`` and an
    interaction (the case stays closed)."""
    tr = translator(lang)
    if score not in SCORES:
        raise ValidationError(tr.gettext("Choose a score from 1 to 5."))
    remark = storable((remark or "").strip(), tr.gettext("the comment"), 2000)
    now = desk.now()
    with write_session(desk.engine) as session:
        case = _load(session, customer, options, number, lock=True)
        if case.status != Status.closed:
            raise InvalidTransition(tr.gettext("The survey opens once the case is closed."))
        if case.satisfaction is not None or session.execute(
                select(col(SurveyAnswer.id)).where(col(SurveyAnswer.case_id) == case.id)
        ).first() is not None:
            raise InvalidTransition(tr.gettext("You have already answered this case's survey."))
        session.execute(insert(SurveyAnswer).values(
            case_id=case.id, contact_id=customer.contact_id, score=score, comment=remark,
            answered_at=now))
        subject = f"Satisfaction survey: {score}/5"
        iid = _interaction(session, desk, case, customer, subject=subject, text=remark,
                           typification="other")
        apply_change(session, case, None, now, kind="interaction",
                     values={"satisfaction": score}, guard=(col(Case.satisfaction).is_(None),),
                     note=f"inbound web: {subject}", activity=False,
                     data={"interaction_id": iid, "by": "customer", "via": "portal",
                           "contact": customer.email, "contact_id": customer.contact_id,
                           "survey": score})


def file_of(desk: Desk, customer: Customer, options: PortalOptions, number: int | str,
            file_id: int) -> tuple[str, str, bytes]:
    """A file of the customer's case: (name, type, bytes)."""
    with read_session(desk.engine) as session:
        case = _load(session, customer, options, number)
        row = session.execute(select(PortalFile).where(
            col(PortalFile.id) == file_id, col(PortalFile.case_id) == case.id)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("no such file")
        return row.name, row.content_type, row.data
