"""The public web form: a customer's request becomes a case, as any other entry point.

One transaction: the customer is matched by e-mail (the unique ``email_key`` of
:func:`casedesk.services.directory.customers.contact_keys`) or created; the request is an
inbound ``web`` interaction; the case is opened from it by
:func:`casedesk.services.workflow.cases.open_case` — the routing rules, the SLA policy and
the entitlement exactly as for a case opened at the workstation — and an acknowledgement
is queued in the outbox (``kind="ack"``), so the mail goes out iff the case exists.

The acting agent is the web's own login (``casedesk web --agent``): the case's creator.
When no routing rule takes the case it goes to ``queue`` (``--queue``), else to the first
queue of the chosen area, else of area general, then technical (as the mail import does),
never into the web login's bin.
"""

from __future__ import annotations

from dataclasses import dataclass
from gettext import NullTranslations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from casedesk.db import write_session
from casedesk.errors import ConfigError, ValidationError
from casedesk.models import Area, Contact, Interaction, Queue
from casedesk.models.base import fixed_limit
from casedesk.services.context import Actor, Desk, storable
from casedesk.services.directory.addresses import check_email
from casedesk.services.directory.customers import contact_keys, email_key
from casedesk.services.numbers import case_label
from casedesk.services.portal.language import translator
from casedesk.services.portal.mailing import send
from casedesk.services.routing.rules import NewCase, decide
from casedesk.services.workflow.cases import open_case

MAX_DESCRIPTION = 20_000


@dataclass(frozen=True)
class WebRequest:
    """What the form's fields said (already stripped of the honeypot)."""

    name: str
    email: str
    subject: str
    description: str = ""
    phone: str = ""
    area: str = "general"


@dataclass(frozen=True)
class Receipt:
    """The case the request opened."""

    number: int
    label: str
    email: str


def _checked(request: WebRequest, tr: NullTranslations) -> WebRequest:
    """The request trimmed and checked; a ValidationError in the customer's language."""
    name = storable((request.name or "").strip(), tr.gettext("the name"), 200)
    if not name:
        raise ValidationError(tr.gettext("Tell us your name."))
    try:
        email = check_email((request.email or "")[:320])
    except ValidationError:
        raise ValidationError(tr.gettext("That is not an e-mail address.")) from None
    if not email:
        raise ValidationError(tr.gettext("Tell us your e-mail address, so we can answer you."))
    subject = storable((request.subject or "").strip(), tr.gettext("the subject"), 300)
    if not subject:
        raise ValidationError(tr.gettext("Say in a few words what it is about."))
    description = storable((request.description or "").strip(),
                           tr.gettext("the description"), MAX_DESCRIPTION)
    phone = storable((request.phone or "").strip(), tr.gettext("the phone"), 40)
    area = (request.area or "general").strip().lower()
    if area not in [a.value for a in Area]:
        area = "general"
    return WebRequest(name, email, subject, description, phone, area)


def _customer(session: Session, desk: Desk, request: WebRequest) -> tuple[int, int | None]:
    """The contact with the request's e-mail (id, account), created when there is none."""
    key = email_key(request.email)
    found = session.execute(
        select(col(Contact.id), col(Contact.account_id)).where(col(Contact.email_key) == key)
    ).first()
    if found is not None:
        return found.id, found.account_id
    try:
        with session.begin_nested():
            contact_id: int = session.execute(
                insert(Contact).values(
                    name=request.name, email=request.email, phone=request.phone or None,
                    created_at=desk.now(),
                    **contact_keys(request.name, request.email, request.phone))
                .returning(col(Contact.id))
            ).scalar_one()
            return contact_id, None
    except IntegrityError:  # the same address sent twice at once: the other one made it
        again = session.execute(
            select(col(Contact.id), col(Contact.account_id))
            .where(col(Contact.email_key) == key)
        ).one()
        return again.id, again.account_id


def _fallback_queue(session: Session, area: str, queue: str | None) -> str:
    if queue:
        return queue
    for wanted in (area, "general", "technical"):
        name = session.execute(
            select(col(Queue.name)).where(col(Queue.area) == wanted).order_by(col(Queue.id))
            .limit(fixed_limit(1))
        ).scalar_one_or_none()
        if name is not None:
            return str(name)
    raise ConfigError("no queue for web requests: pass --queue NAME to `casedesk web`")


def submit(desk: Desk, actor: Actor, request: WebRequest, *, queue: str | None = None,
           lang: str = "en") -> Receipt:
    """Open a case from a web request; returns its number (the acknowledgement is queued)."""
    tr = translator(lang)
    request = _checked(request, tr)
    now = desk.now()
    with write_session(desk.engine) as session:
        contact_id, account_id = _customer(session, desk, request)
        routed = decide(session, NewCase(
            title=request.subject, description=request.description, area=request.area,
            channel="web", account_id=account_id, contact_id=contact_id), now, pick=False)
        interaction_id: int = session.execute(
            insert(Interaction).values(
                channel="web", direction="inbound", typification="request",
                contact_id=contact_id, agent_id=None, started_at=now, duration_seconds=0,
                subject=request.subject[:500], notes=request.description,
                email_from=request.email[:500])
            .returning(col(Interaction.id))
        ).scalar_one()
        case = open_case(
            session, desk, actor, title=request.subject, description=request.description,
            area=request.area, contact_id=contact_id,
            queue=None if routed is not None else _fallback_queue(session, request.area,
                                                                  queue),
            from_interaction=interaction_id, channel="web")
        label = case_label(case.number)
        send(session, kind="ack", to=request.email, case_id=case.id, at=now,
             subject=tr.gettext("We have received your request: {title}").format(
                 title=request.subject),
             body=tr.gettext(
                 "Hello {name},\n\nthank you for writing to us. Your request is registered "
                 "as {number} and we will answer you as soon as we can.\n\n"
                 "To add information, reply to this message or sign in to the customer "
                 "portal with this e-mail address.\n").format(name=request.name,
                                                              number=label))
        return Receipt(case.number, label, request.email)
