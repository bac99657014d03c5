"""The outbox: every mail the desk sends is queued here, then delivered by the sender.

:func:`enqueue` writes one row in the caller's transaction, so a mail goes out if and only
if the action that promised it commits (an article sent, a reply, an acknowledgement, a
resolution proposed, a survey, a sign-in link). :func:`deliver_pending` is the sender
(``casedesk worker`` and ``casedesk mail send-pending``): it claims one due mail at a
time with a lease, sends it over SMTP, and marks it.

The guarantee, honestly: **at least once, with a stable Message-ID**. SMTP has no
two-phase commit: a crash (or a dropped connection) after the server accepted the
message and before the row is marked ``delivered`` leaves the row ``sending``; when its
lease runs out it is claimed again and sent again, with the same ``Message-ID``, which
mail clients and most servers use to drop the duplicate. Every other window sends once:

1. claim (commit: ``sending``, lease until ``next_attempt_at``, ``attempts + 1``) —
   a crash here leaves an unsent row whose lease runs out: sent later, once;
2. send — a refusal (5xx) marks it ``failed``; a temporary failure (4xx, a dropped or
   refused connection, a timeout) puts it back to ``pending`` with a backoff, until
   ``max_attempts``; the server accepting it (250) is the only way to ``delivered``;
3. mark (commit: ``delivered`` plus a ``mail_delivered`` event on the case) — the one
   window where a crash means a second copy.

The claim is a guarded UPDATE (on PostgreSQL after ``FOR UPDATE SKIP LOCKED``), so two
senders never hold the same row; the mark is guarded by the claim (status ``sending``
and ``claimed_by``), so a sender whose lease ran out does not overwrite its successor.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, and_, or_, select, update
from sqlmodel import Session, col

from casedesk.clock import system_clock
from casedesk.db import is_sqlite, read_session, write_session
from casedesk.errors import ValidationError
from casedesk.i18n import _
from casedesk.models import Case, Interaction
from casedesk.models.base import fixed_limit, saved_id
from casedesk.models.mail import OUTBOX_KINDS, OutboxMessage
from casedesk.services.context import Desk, storable
from casedesk.services.directory.addresses import check_email
from casedesk.services.numbers import case_label
from casedesk.services.workflow.changes import record_event

if TYPE_CHECKING:  # smtplib and ssl load only where mail is sent, not with every workflow
    from casedesk.services.mail.smtp import Outcome, SmtpSettings, SmtpTransport

#: the right-hand side of the Message-IDs the desk makes (``<…@casedesk.local>``)
MESSAGE_ID_DOMAIN = "casedesk.local"
#: kinds sent by the desk itself (``Auto-Submitted: auto-generated``: no auto-replies)
AUTOMATIC_KINDS = frozenset({"ack", "resolution", "survey", "portal_link"})
_CASE_TAG = re.compile(r"\[CS-\d{6,}\]")
_LINE_BREAKS = re.compile(r"[\r\n\t]+")


def case_tag(number: int) -> str:
    """``[CS-000123]``: what a subject carries so a reply threads back to its case."""
    return f"[{case_label(number)}]"


def new_message_id(label: str | None = None) -> str:
    """A fresh, globally unique Message-ID (``<hex.CS-000123@casedesk.local>``)."""
    middle = f"{uuid.uuid4().hex}.{label}" if label else uuid.uuid4().hex
    return f"<{middle}@{MESSAGE_ID_DOMAIN}>"


def _case_mail_ids(session: Session, case_id: int) -> tuple[str | None, str | None]:
    """The first and the latest customer's Message-ID on the case (None when none)."""
    rows = session.execute(
        select(col(Interaction.message_id))
        .where(
            col(Interaction.case_id) == case_id,
            col(Interaction.message_id).is_not(None),
            col(Interaction.direction) == "inbound",
        )
        .order_by(col(Interaction.started_at), col(Interaction.id))
    ).scalars().all()
    if not rows:
        return None, None
    return rows[0], rows[-1]


def _references_of(session: Session, message_id: str) -> list[str]:
    """The References a known message (ours or a customer's) carried, oldest first."""
    ours = session.execute(
        select(col(OutboxMessage.references)).where(col(OutboxMessage.message_id) == message_id)
    ).scalar_one_or_none()
    return ours.split() if ours else []


def enqueue(
    session: Session,
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    case_id: int | None = None,
    in_reply_to: str | None = None,
    at: datetime | None = None,
) -> OutboxMessage:
    """Queue one mail in the caller's transaction (so it goes out iff the action commits).

    Subjects of case mail carry "[CS-000123]"; sets message_id/references. Without
    ``in_reply_to``, case mail answers the customer's latest mail on the case (if any),
    and References start at the customer's first one, so their client threads it.
    ``at``: the action's time (the desk's clock); the system clock otherwise. The mail is
    due at once.
    """
    if kind not in OUTBOX_KINDS:
        raise ValidationError(
            _("unknown kind of mail {kind!r}: one of {kinds}").format(
                kind=kind, kinds=", ".join(OUTBOX_KINDS)
            )
        )
    address = check_email(to, _("the recipient"))
    if address is None:
        raise ValidationError(_("a mail needs a recipient's address"))
    title = _LINE_BREAKS.sub(" ", storable(subject, _("the subject"))).strip()
    storable(body, _("the mail body"))
    label: str | None = None
    references: list[str] = []
    if case_id is not None:
        number = session.execute(
            select(col(Case.number)).where(col(Case.id) == case_id)
        ).scalar_one_or_none()
        if number is None:
            raise ValidationError(_("no case with id {id}").format(id=case_id))
        label = case_label(number)
        if not _CASE_TAG.search(title):
            title = f"{case_tag(number)} {title}".rstrip()
        first, latest = _case_mail_ids(session, case_id)
        if in_reply_to is None:
            in_reply_to = latest
        if first:
            references.append(first)
    if in_reply_to:
        in_reply_to = _LINE_BREAKS.sub("", in_reply_to).strip()[:500] or None
    if in_reply_to:
        references.extend(_references_of(session, in_reply_to))
        references.append(in_reply_to)
    chain: list[str] = []
    for ref in references:
        if ref not in chain:
            chain.append(ref)
    message = OutboxMessage(
        case_id=case_id,
        kind=kind,
        to_address=address,
        subject=storable(title, _("the subject"), 500),
        body=body,
        message_id=new_message_id(label),
        in_reply_to=in_reply_to,
        references=" ".join(chain) or None,
        status="pending",
        attempts=0,
        next_attempt_at=None,
        created_at=at or system_clock.now(),
    )
    session.add(message)
    session.flush()
    return message


# --- the sender ----------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one pass of the sender did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0
    #: one line per mail that did not go out now (``#id to addr: error``)
    problems: list[str] = field(default_factory=list)
    #: the pass stopped early: the SMTP server could not be reached or refused to talk
    stopped: str | None = None

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.failed

    def to_json(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "retried": self.retried, "failed": self.failed,
                "problems": list(self.problems), "stopped": self.stopped}


def backoff(attempts: int, settings: SmtpSettings) -> timedelta:
    """How long to wait before attempt ``attempts + 1``: doubling from
    ``retry_seconds``, at most ``max_retry_seconds``."""
    seconds = settings.retry_seconds * 2 ** max(0, min(attempts - 1, 20))
    return timedelta(seconds=min(seconds, settings.max_retry_seconds))


def _who() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _due(now: datetime) -> Any:
    return or_(
        and_(
            col(OutboxMessage.status) == "pending",
            or_(col(OutboxMessage.next_attempt_at).is_(None),
                col(OutboxMessage.next_attempt_at) <= now),
        ),
        # a claim whose lease ran out: its sender died (or is far too slow)
        and_(col(OutboxMessage.status) == "sending", col(OutboxMessage.next_attempt_at) <= now),
    )


def _claim(desk: Desk, who: str, lease: timedelta) -> OutboxMessage | None:
    """Claim the oldest due mail (commit), or None when nothing is due."""
    for _attempt in range(20):
        now = desk.now()
        with write_session(desk.engine) as session:
            query = select(OutboxMessage).where(_due(now)).order_by(col(OutboxMessage.id))
            if not is_sqlite(desk.engine):
                query = query.with_for_update(skip_locked=True)
            query = query.limit(fixed_limit(1))
            row: OutboxMessage | None = session.execute(query).scalars().first()
            if row is None:
                return None
            result = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == row.id,
                    col(OutboxMessage.status) == row.status,
                    col(OutboxMessage.attempts) == row.attempts,
                )
                .values(status="sending", attempts=col(OutboxMessage.attempts) + 1,
                        next_attempt_at=now + lease, claimed_by=who)
                .execution_options(synchronize_session=False)
            )
            if isinstance(result, CursorResult) and result.rowcount == 1:
                session.expunge(row)
                row.status, row.attempts, row.claimed_by = "sending", row.attempts + 1, who
                return row
    return None  # lost every race: another sender is busy with the queue


def _mark(desk: Desk, row: OutboxMessage, who: str, outcome: Outcome,
          settings: SmtpSettings) -> str:
    """Record one send's outcome; the status it ended in (``''`` if the claim was lost)."""
    now = desk.now()
    values: dict[str, Any]
    if outcome.ok:
        status, values = "delivered", {"sent_at": now, "next_attempt_at": None,
                                       "last_error": None}
    elif outcome.permanent or row.attempts >= settings.max_attempts:
        status, values = "failed", {"next_attempt_at": None, "last_error": outcome.error}
    else:
        status = "pending"
        values = {"next_attempt_at": now + backoff(row.attempts, settings),
                  "last_error": outcome.error}
    with write_session(desk.engine) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == row.id, col(OutboxMessage.status) == "sending",
                   col(OutboxMessage.claimed_by) == who)
            .values(status=status, claimed_by=None, **values)
            .execution_options(synchronize_session=False)
        )
        if not (isinstance(result, CursorResult) and result.rowcount == 1):
            return ""
        if row.case_id is not None and status in ("delivered", "failed"):
            # like the SLA scan's events: no version bump (no field an agent edits changed)
            record_event(
                session, case_id=row.case_id, at=now, actor_id=None,
                kind="mail_delivered" if status == "delivered" else "mail_failed",
                data={"outbox_id": saved_id(row.id), "mail": row.kind, "to": row.to_address,
                      "subject": row.subject, "message_id": row.message_id,
                      "attempts": row.attempts,
                      **({"error": outcome.error} if outcome.error else {})},
            )
    return status


def deliver_pending(
    desk: Desk,
    settings: SmtpSettings,
    *,
    limit: int = 100,
    transport: Callable[[SmtpSettings], SmtpTransport] | None = None,
) -> DeliveryReport:
    """Send what is due (claim → send → mark), retry with backoff, never twice.

    At most ``limit`` mails per pass, over one SMTP connection (opened again after a
    drop). A connection that cannot be opened stops the pass (``report.stopped``) and
    leaves the mail pending with its backoff.
    """
    from casedesk.services.mail.smtp import SmtpTransport, build_message

    report = DeliveryReport()
    who = _who()
    lease = timedelta(seconds=max(60.0, settings.timeout * 4))
    smtp = (transport or SmtpTransport)(settings)
    try:
        for _n in range(limit):
            row = _claim(desk, who, lease)
            if row is None:
                break
            message = build_message(
                settings, to=row.to_address, subject=row.subject, body=row.body,
                message_id=row.message_id, in_reply_to=row.in_reply_to,
                references=row.references, automatic=row.kind in AUTOMATIC_KINDS,
                date=row.created_at,
            )
            outcome = smtp.send(message, row.to_address)
            status = _mark(desk, row, who, outcome, settings)
            if status == "delivered":
                report.delivered += 1
                continue
            if status == "failed":
                report.failed += 1
            elif status == "pending":
                report.retried += 1
            report.problems.append(f"#{saved_id(row.id)} {row.to_address}: {outcome.error}")
            if outcome.unreachable:
                report.stopped = outcome.error
                break
    finally:
        smtp.close()
    return report


def outbox_counts(desk: Desk) -> dict[str, int]:
    """How many mails are in each status (for ``casedesk mail status``)."""
    from sqlalchemy import func

    with read_session(desk.engine) as session:
        rows = session.execute(
            select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
        ).all()
    return {status: int(n) for status, n in rows}


@dataclass(frozen=True)
class OutboxLine:
    """One queued mail as an operator sees it (never its body: a sign-in link is secret)."""

    id: int
    case_id: int | None
    kind: str
    to: str
    subject: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in self.__dict__.items()}


def outbox_lines(desk: Desk, *, status: str | None = None, limit: int = 50) -> list[OutboxLine]:
    """The latest queued mails (``status``: only those), newest first."""
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status:
        query = query.where(col(OutboxMessage.status) == status)
    with read_session(desk.engine) as session:
        return [
            OutboxLine(saved_id(m.id), m.case_id, m.kind, m.to_address, m.subject, m.status,
                       m.attempts, m.next_attempt_at, m.last_error, m.created_at, m.sent_at)
            for m in session.execute(query).scalars()
        ]
