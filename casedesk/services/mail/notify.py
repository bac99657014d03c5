"""The mails the desk promises its customers, queued in the transaction of the action.

* ``ack`` — a new case from mail (``casedesk mail receive``) or the web form;
* ``resolution`` — a case resolved (the resolution notes, and how to reject it);
* ``survey`` — a case closed (by an agent, or automatically after the confirmation
  period).

Each goes to the case's contact, in their language (:mod:`.texts`); a case with no
contact, or a contact with no e-mail address, gets no mail (nothing to send it to). The
agent's own mails (a reply, an article) are queued by :mod:`.replies` and
``knowledge.library.send_to_customer``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from casedesk.models import Case, Contact
from casedesk.models.base import saved_id
from casedesk.models.mail import OutboxMessage
from casedesk.services.mail import texts
from casedesk.services.mail.outbox import enqueue
from casedesk.services.numbers import case_label


def customer_mail(
    session: Session,
    case: Case,
    kind: str,
    now: datetime,
    *,
    notes: str = "",
    to: str | None = None,
    in_reply_to: str | None = None,
) -> OutboxMessage | None:
    """Queue the ``kind`` (ack, resolution, survey) mail of ``case`` to its customer (or
    ``to``); None when there is nobody to send it to."""
    contact = None
    if case.contact_id is not None:
        contact = session.execute(
            select(col(Contact.name), col(Contact.email), col(Contact.extras))
            .where(col(Contact.id) == case.contact_id)
        ).first()
    address = to or (contact.email if contact is not None else None)
    if not address:
        return None
    language = texts.customer_language(contact.extras if contact is not None else None)
    name = (contact.name if contact is not None else "") or address.split("@", 1)[0]
    label = case_label(case.number)
    if kind == "ack":
        subject, body = texts.acknowledgement(language, case=label, title=case.title, name=name)
    elif kind == "resolution":
        subject, body = texts.resolution(language, case=label, title=case.title, name=name,
                                         notes=notes or case.resolution_notes or "")
    elif kind == "survey":
        subject, body = texts.survey(language, case=label, title=case.title, name=name)
    else:
        raise ValueError(f"no automatic mail of kind {kind!r}")
    return enqueue(session, kind=kind, to=address, subject=subject, body=body,
                   case_id=saved_id(case.id), in_reply_to=in_reply_to, at=now)


def surveys_for(session: Session, case_ids: list[int], now: datetime) -> int:
    """Queue the survey of each case (closed in bulk: the SLA scan's auto-close)."""
    sent = 0
    if not case_ids:
        return 0
    for case in session.execute(select(Case).where(col(Case.id).in_(case_ids))).scalars():
        if customer_mail(session, case, "survey", now) is not None:
            sent += 1
    return sent
