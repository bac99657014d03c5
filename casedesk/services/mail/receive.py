"""Mail that comes in live: one message from an MTA's pipe, stored as the file import does.

:func:`receive` reads one message, threads it (the ``[CS-000123]`` tag, In-Reply-To and
References against the desk's stored mail and its own outbox), moves the case on (awaiting
the customer → resumed, resolved → reopened, closed → a new case that follows it) and
routes a new case — all through :class:`casedesk.services.imports.mail.MailImport`, the
file import's own code — in one transaction, and acknowledges a new case to its sender in
that transaction (not for automatic mail: RFC 3834).

What is stored: every message with a sender address. A message without a Message-ID gets
one derived from its bytes; a message reusing a stored Message-ID with different content
is stored under a derived id (``<dup-…@casedesk.invalid>``, the original kept); the very
same message handed again (an MTA retrying after a lost answer) is not stored twice
(``duplicate``, exit 0).

What is refused (:class:`~casedesk.errors.MailRefused`, the MTA bounces it with the reason):
an empty message; one larger than :data:`MAX_BYTES`; one with no readable sender address
(nobody to answer); one from the desk's own address or carrying the desk's loop header (a
mail loop); a Message-ID longer than 500 characters.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy

from sqlalchemy import select
from sqlmodel import col

from casedesk.db import write_session
from casedesk.errors import MailRefused
from casedesk.i18n import _
from casedesk.models import Case, Interaction
from casedesk.services.context import Actor, Desk
from casedesk.services.imports.kinds.base import Ctx, RowError
from casedesk.services.imports.mail import MailImport, prepare_mail
from casedesk.services.imports.mailread import Mail
from casedesk.services.imports.summary import ImportSummary
from casedesk.services.mail import notify
from casedesk.services.mail.outbox import MESSAGE_ID_DOMAIN

#: the largest message stored (bytes as piped): 50 MB, above any common MTA's limit
MAX_BYTES = 50 * 1024 * 1024
#: the header the desk's own mail carries, to recognise a loop
LOOP_HEADER = "X-Casedesk-Loop"
_NO_ACK_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply",
                   "do-not-reply", "bounce")


@dataclass(frozen=True)
class Received:
    """What :func:`receive` did: ``stored`` or ``duplicate``; the case it is on."""

    status: str
    case_number: int | None
    opened: bool
    message_id: str
    acknowledged: bool = False


def _automatic(data: bytes, address: str) -> bool:
    """Whether a message is automatic (RFC 3834: no auto-reply to it): Auto-Submitted other
    than ``no``, bulk/list/junk Precedence, a list, or a robot's sender address."""
    head = BytesHeaderParser(policy=default_policy).parsebytes(data[:65536])
    submitted = str(head.get("Auto-Submitted", "no") or "no").strip().lower()
    precedence = str(head.get("Precedence", "") or "").strip().lower()
    local = address.split("@", 1)[0]
    return (submitted != "no" or precedence in ("bulk", "list", "junk")
            or head.get("List-Id") is not None or any(w in local for w in _NO_ACK_SENDERS))


def check(data: bytes, *, own_address: str | None = None) -> None:
    """Refuse what cannot be stored before parsing it (see the module docstring)."""
    if not data.strip():
        raise MailRefused(_("empty message: nothing to store"))
    if len(data) > MAX_BYTES:
        raise MailRefused(_("message too large: {size} bytes (at most {limit})").format(
            size=len(data), limit=MAX_BYTES))


def receive(
    desk: Desk,
    data: bytes,
    *,
    zone: zoneinfo.ZoneInfo,
    queue: str | None = None,
    actor: Actor | None = None,
    own_address: str | None = None,
    acknowledge: bool = True,
) -> Received:
    """Store one message (see the module docstring); raises MailRefused with the reason."""
    check(data, own_address=own_address)
    now = desk.now()
    try:
        mail = Mail(data, zone, now)
    except RowError as exc:
        raise MailRefused(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any message the parser chokes on is refused
        raise MailRefused(_("unreadable message: {error}").format(error=exc)) from None
    head = BytesHeaderParser(policy=default_policy).parsebytes(data[:65536])
    if (own_address and mail.address == own_address.strip().lower()) or head.get(LOOP_HEADER):
        raise MailRefused(_("mail loop: the message comes from the desk itself ({address})")
                          .format(address=mail.address))
    if mail.message_id.endswith(f"@{MESSAGE_ID_DOMAIN}>"):
        raise MailRefused(_("mail loop: {id} is a message the desk sent").format(
            id=mail.message_id))
    ctx = Ctx(actor, now, "stdin", default_queue=queue)
    summary = ImportSummary("mail")
    with write_session(desk.engine) as session:
        rules = prepare_mail(session, ctx, queue)
        work = MailImport(ctx, rules, summary)
        status = work.store(session, mail, "stdin")
        stored_id = work.last_message_id or mail.message_id
        case_id = session.execute(
            select(col(Interaction.case_id)).where(col(Interaction.message_id) == stored_id)
        ).scalar_one_or_none()
        case = session.get(Case, case_id) if case_id is not None else None
        opened = summary.details.get("cases opened", 0) > 0
        acked = False
        if opened and case is not None and acknowledge and not _automatic(data, mail.address):
            acked = notify.customer_mail(session, case, "ack", now, to=mail.address,
                                         in_reply_to=mail.message_id) is not None
        return Received("stored" if status == "created" else "duplicate",
                        case.number if case is not None else None, opened, stored_id, acked)
