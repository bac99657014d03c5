"""The agent's mail to a customer: a reply on a case, an article sent.

Each is one outbound e-mail interaction on the case (the SLA's response) and one outbox
mail, in one transaction; the interaction keeps the mail's Message-ID, so the customer's
answer (In-Reply-To/References) threads back to the case even without the subject's tag.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from casedesk.db import write_session
from casedesk.errors import ValidationError
from casedesk.i18n import _
from casedesk.models import Contact, Interaction
from casedesk.models.mail import OutboxMessage
from casedesk.services.context import Actor, Desk, load_case, storable, storable_id
from casedesk.services.mail.outbox import enqueue
from casedesk.services.numbers import case_label
from casedesk.services.queries.views import InteractionView
from casedesk.services.workflow.cases import require_work_on
from casedesk.services.workflow.interactions import log_interaction


def mail_for_interaction(
    session: Session, interaction_id: int, *, kind: str, to: str, subject: str, body: str,
    case_id: int,
) -> OutboxMessage:
    """Queue the mail an outbound interaction stands for and stamp the interaction with
    its Message-ID and recipient."""
    message = enqueue(session, kind=kind, to=to, subject=subject, body=body, case_id=case_id)
    session.execute(
        update(Interaction).where(col(Interaction.id) == interaction_id)
        .values(message_id=message.message_id, in_reply_to=message.in_reply_to,
                email_to=message.to_address)
        .execution_options(synchronize_session=False)
    )
    return message


def reply(desk: Desk, actor: Actor, case: int | str, text: str, *,
          subject: str | None = None) -> InteractionView:
    """E-mail the case's customer (who may work on the case: its owner, a member of its
    queue, a supervisor). The subject defaults to ``Re: <case title>``."""
    if not text.strip():
        raise ValidationError(_("a reply needs some text"))
    storable(text, _("the reply"))
    with write_session(desk.engine) as session:
        row = load_case(session, case)
        require_work_on(session, actor, row, _("reply to its customer"))
        contact = (session.get(Contact, storable_id(row.contact_id, "contact"))
                   if row.contact_id is not None else None)
        if contact is None or not contact.email:
            raise ValidationError(
                _("{case} has no customer e-mail address to reply to").format(
                    case=case_label(row.number)))
        title = (subject or "").strip() or f"Re: {row.title}"
        view = log_interaction(desk, actor, channel="email", direction="outbound",
                               contact_id=contact.id, subject=title, notes=text,
                               case=row.number, session=session)
        assert row.id is not None
        mail_for_interaction(session, view.id, kind="reply", to=contact.email, subject=title,
                             body=text, case_id=row.id)
        return view
