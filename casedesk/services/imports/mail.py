"""E-mail import: mbox files, Maildir folders and single ``.eml`` files.

Each message becomes an inbound e-mail interaction (from, to, subject, date, text body,
attachments by name and size). It joins an existing case when its subject carries the
case's tag exactly as the desk writes it (``[CS-000123]``, brackets included: a bare
``CS-000123`` in a subject is just text) or its In-Reply-To/References name the
Message-ID of an interaction already stored — and only when the sender is the case's
customer (the contact's e-mail, whatever its case) or another contact of the case's
account. A message naming a case it may not join opens a new case that *mentions* the
other (``extras.mentions`` and the creation note), so anybody who can e-mail the centre
cannot add to, or reopen, somebody else's case. Otherwise it opens a new case where the
routing rules send it (:func:`casedesk.services.routing.rules.decide`: channel ``email``,
the subject and body, the sender's account; the rules are read once per run, the reason
goes on the create event, and the queue's strategy may pick an agent), else ``--queue``,
else the first queue of area general, then technical. The
sender is found among the contacts by e-mail address, whatever its case (one lookup per
batch of messages), or created with the address in lower case.

A Message-ID already imported is skipped (reported unchanged) when the message is the
same one (body, subject, sender and Date header: :attr:`Mail.content_hash`); a different
message reusing a Message-ID is imported under a derived id
(``<dup-HASH@casedesk.invalid>``, the original in ``extras.message_id``) and reported as
a warning and in ``details["duplicate Message-ID with different content"]``. Reading and
parsing messages: :mod:`.mailread`.

A mail on an existing case is the customer writing again, and its events say so: no
agent (``actor_id`` NULL, shown as "system") and ``data.by = "customer"`` with the
sender's address, the note naming the sender ("reopened by the customer's e-mail from
…"), never the supervisor who ran the import. A case awaiting the customer
resumes and a resolved case reopens (both to ``in_progress``); a closed or cancelled case
stays as it is and a new case *follows* it (its number in the new case's extras and
creation note) — each only for mails written after the case got there; older mails are
history and just join. When the case is being worked and the first response was made, a
next-response cycle starts at the mail's date (capped at the import's "now"), as
``log_interaction`` does, inside the batch's transaction (see :meth:`MailImport._join`).
Rejected messages — unreadable ones too (a file that cannot be read, no sender, an
over-long Message-ID) — go to ``NAME.rejects.mbox`` beside the input, each with an
``X-Casedesk-Reason`` header added on top, and the other messages of the run are still
imported; the rejects file is written whole or not at all (:mod:`.rejectfile`).
"""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session, col

from casedesk.db import read_session
from casedesk.errors import ConfigError, ValidationError
from casedesk.i18n import N_, _
from casedesk.models import Case, Contact, Interaction, Status
from casedesk.models.base import fixed_limit, table_of
from casedesk.models.mail import OutboxMessage
from casedesk.services.context import Actor, Desk
from casedesk.services.directory.customers import contact_keys
from casedesk.services.imports.kinds.base import Ctx, RowError, prepare_cache
from casedesk.services.imports.kinds.cases import Cases, case_deadlines, pick_policy
from casedesk.services.imports.mailread import Mail, MailSource
from casedesk.services.imports.refs import ContactRef
from casedesk.services.imports.rejectfile import (
    check_distinct,
    check_rejects_path,
    write_failed,
)
from casedesk.services.imports.summary import ImportOptions, ImportSummary, Progress, printable
from casedesk.services.imports.writer import Transactions, refusal, refused
from casedesk.services.numbers import case_label, claim_numbers
from casedesk.services.routing.rules import NewCase, RuleSet, decide
from casedesk.services.sla import clocks
from casedesk.services.workflow import transitions
from casedesk.services.workflow.changes import apply_change, record_event

_CASE_TAG = re.compile(r"\[CS-(\d{6,18})\]")
DUPLICATE = N_("duplicate Message-ID with different content")
MAIL_BATCH = 200


class MailImport:
    """Threads and stores messages; one instance per import run."""

    def __init__(self, ctx: Ctx, rules: RuleSet,
                 summary: ImportSummary) -> None:
        self.ctx = ctx
        self.rules = rules
        self.summary = summary
        self.cases = Cases()
        #: sender address → (contact id, account id, tier); None: looked up, not found
        self.contacts: dict[str, tuple[int, int | None, str | None] | None] = {}
        #: the Message-ID the last message was stored (or found) under
        self.last_message_id: str | None = None

    def store(self, session: Session, mail: Mail, where: str = "") -> str:
        """Store one message (``where``: ``file:ordinal``, for warnings); returns "created"
        or "unchanged"."""
        message_id, original = mail.message_id, None
        self.last_message_id = message_id
        same = session.execute(
            select(col(Interaction.id), col(Interaction.extras), col(Interaction.subject),
                   col(Interaction.notes), col(Interaction.email_from))
            .where(col(Interaction.message_id) == message_id)
        ).first()
        if same is not None:
            if _same_message(same, mail, self._from(mail)):
                return "unchanged"
            message_id = f"<dup-{mail.content_hash[:40]}@casedesk.invalid>"
            self.last_message_id = message_id
            if session.execute(
                select(col(Interaction.id)).where(col(Interaction.message_id) == message_id)
            ).first():
                return "unchanged"
            original = mail.message_id
            self._bump(DUPLICATE)
            if len(self.summary.warnings) < 20:
                self.summary.warnings.append(printable(
                    _("{where}: duplicate Message-ID with different content: {original} "
                      "imported again as {message_id}").format(
                        where=where, original=original, message_id=message_id)))
        contact_id, account_id, tier = self._contact(session, mail)
        case, mentioned = self._existing_case(session, mail, contact_id, account_id)
        extras: dict[str, Any] = {"content_hash": mail.content_hash}
        if original is not None:
            extras["message_id"] = original
        iid = session.execute(
            insert(Interaction).values(
                channel="email", direction="inbound", typification="query",
                contact_id=contact_id, agent_id=None, case_id=case.id if case else None,
                started_at=mail.date, duration_seconds=0, subject=mail.subject[:500],
                notes=mail.body, message_id=message_id,
                in_reply_to=(mail.in_reply_to[0][:500] if mail.in_reply_to else None),
                email_from=self._from(mail), email_to=mail.to,
                attachments=mail.attachments or None, extras=extras,
            ).returning(col(Interaction.id))
        ).scalar_one()
        follows = None
        if case is not None and case.status in (Status.closed, Status.cancelled) \
                and _after(mail.date, case.closed_at or case.updated_at):
            follows, case = case, None  # a closed case stays closed: a new one follows it
        if case is not None:
            self._join(session, case, mail, iid, contact_id)
            self._bump(N_("cases joined"))
        else:
            case_id = self._open(session, mail, contact_id, account_id, tier, follows,
                                 mentioned, message_id)
            session.execute(
                table_of(Interaction).update()
                .where(col(Interaction.id) == iid).values(case_id=case_id)
            )
            self._bump(N_("cases opened"))
        return "created"

    @staticmethod
    def _from(mail: Mail) -> str:
        return (f"{mail.display} <{mail.address}>" if mail.display else mail.address)[:500]

    def _bump(self, key: str) -> None:
        self.summary.details[key] = self.summary.details.get(key, 0) + 1

    def find_contacts(self, session: Session, addresses: set[str]) -> None:
        """Look up the contacts of sender ``addresses`` not looked up yet, in one go.

        Addresses compare case-insensitively (:class:`ContactRef`: the index on
        ``contact.email`` first, ``lower(email)`` for the rest).
        """
        wanted = {a for a in addresses if a not in self.contacts}
        if wanted:
            found = ContactRef().lookup(session, wanted)
            self.contacts.update({a: found.get(a) for a in wanted})

    def _contact(self, session: Session, mail: Mail) -> tuple[int, int | None, str | None]:
        self.find_contacts(session, {mail.address})
        hit = self.contacts[mail.address]
        if hit is None:
            name = mail.display or mail.address.split("@", 1)[0]
            cid = session.execute(
                insert(Contact).values(name=name[:200], email=mail.address[:254],
                                       marketing_consent=False, created_at=self.ctx.now,
                                       **contact_keys(name[:200], mail.address[:254], None))
                .returning(col(Contact.id))
            ).scalar_one()
            self._bump(N_("contacts created"))
            hit = self.contacts[mail.address] = (cid, None, None)
        return hit

    def _existing_case(self, session: Session, mail: Mail, contact_id: int,
                       account_id: int | None) -> tuple[Case | None, Case | None]:
        """The case a mail belongs to (locked for this batch: PostgreSQL ``FOR UPDATE``, so
        an agent's change meanwhile waits instead of making the guarded update fail), and
        the first case it names but may not join (its sender is not that case's customer
        nor a contact of its account)."""
        candidates: list[int] = []
        for digits in _CASE_TAG.findall(mail.subject):
            if case_label(int(digits)) == f"CS-{digits}":
                number_case = session.execute(
                    select(col(Case.id)).where(col(Case.number) == int(digits))
                ).scalar_one_or_none()
                if number_case is not None:
                    candidates.append(number_case)
        if mail.references:
            case_id = session.execute(
                select(col(Interaction.case_id))
                .where(col(Interaction.message_id).in_(mail.references),
                       col(Interaction.case_id).is_not(None))
                .order_by(col(Interaction.id).desc()).limit(fixed_limit(1))
            ).scalar_one_or_none()
            if case_id is None:  # an answer to the desk's own mail (ack, resolution, …)
                case_id = session.execute(
                    select(col(OutboxMessage.case_id))
                    .where(col(OutboxMessage.message_id).in_(mail.references),
                           col(OutboxMessage.case_id).is_not(None))
                    .order_by(col(OutboxMessage.id).desc()).limit(fixed_limit(1))
                ).scalar_one_or_none()
            if case_id is not None:
                candidates.append(case_id)
        mentioned: Case | None = None
        for case_id in dict.fromkeys(candidates):
            case = session.execute(
                select(Case).where(col(Case.id) == case_id).with_for_update()
                .execution_options(populate_existing=True)
            ).scalar_one()
            if self._customer_of(session, case, mail.address, contact_id, account_id):
                return case, None
            mentioned = mentioned or case
        return None, mentioned

    @staticmethod
    def _customer_of(session: Session, case: Case, address: str, contact_id: int,
                     account_id: int | None) -> bool:
        """Whether the sender may write on ``case``: it is the case's contact (by id or by
        e-mail, whatever its case) or a contact of the case's account."""
        if case.contact_id is not None and case.contact_id == contact_id:
            return True
        accounts = {case.account_id}
        if case.contact_id is not None:
            row = session.execute(
                select(col(Contact.email), col(Contact.account_id))
                .where(col(Contact.id) == case.contact_id)
            ).first()
            if row is not None:
                if row.email and row.email.strip().lower() == address:
                    return True
                accounts.add(row.account_id)
        return account_id is not None and account_id in accounts

    def _join(self, session: Session, case: Case, mail: Mail, iid: int,
              contact_id: int) -> None:
        """The customer writing again on ``case``: an inbound contact, as in
        :func:`casedesk.services.workflow.interactions.log_interaction`, plus what a helpdesk does
        when a customer answers.

        * A case awaiting the customer resumes (``resume``: the answer came), a resolved
          case reopens (``reopen``: the customer rejects the solution or brings new
          information) — both to ``in_progress``, with the clocks moved exactly as the
          workflow moves them (:func:`clocks.status_values`). Only a mail written after
          the case reached that status does this; an older one imported late is history.
        * When the case is then being worked, the first response was made and no next
          response is running, a next-response cycle starts at the mail's date
          (:func:`clocks.next_response`) and the previous cycle's warned/breached bits clear.

        One guarded update and one event (``resume``/``reopen``/``interaction``, carrying
        the interaction's id), recorded as the customer's doing (no agent; ``data.by``
        ``"customer"``, the sender's address and contact id); bits change through
        :func:`clocks.flags_expr`, relative to the stored value, so a bit a concurrent scan
        records is never overwritten.
        """
        when = mail.date
        kind, to = "interaction", None
        if case.status == Status.awaiting_customer and _after(when, case.paused_at):
            kind, to = "resume", Status.in_progress
        elif case.status == Status.resolved and _after(when, case.resolved_at):
            kind, to = "reopen", Status.in_progress
        values, breaches = clocks.customer_message_values(session, case, to, when)
        if kind == "interaction":
            note = f"inbound email: {mail.subject}".rstrip(": ")
        else:
            word = "resumed" if kind == "resume" else "reopened"
            note = f"{word} by the customer's e-mail from {mail.address}: {mail.subject}"
        apply_change(session, case, None, self.ctx.now, kind=kind, values=values,
                     guard=(col(Case.status) == case.status,), note=note.rstrip(": ")[:500],
                     data={"interaction_id": iid, "message_id": mail.message_id,
                           "by": "customer", "contact": mail.address,
                           "contact_id": contact_id})
        transitions.record_breaches(session, case, breaches, when)
        if to is not None:
            self._bump(N_("cases resumed") if kind == "resume" else N_("cases reopened"))

    def _open(self, session: Session, mail: Mail, contact_id: int, account_id: int | None,
              tier: str | None, follows: Case | None = None, mentioned: Case | None = None,
              message_id: str | None = None) -> int:
        ctx = self.ctx
        title = (mail.subject or "(no subject)")[:300]
        routed = decide(session, NewCase(title=title, description=mail.body, channel="email",
                                         account_id=account_id, contact_id=contact_id,
                                         tier=tier), ctx.now, rules=self.rules)
        if routed is not None:
            queue_id, queue_name = routed.queue_id, routed.queue_name
        else:
            queue_id, queue_name = ctx.cache["default_mail_queue"]
        area = ctx.cache["queue_areas"].get(queue_id) or "general"
        priority = (routed.priority if routed else None) or "medium"
        severity = (routed.severity if routed else None) or "minor"
        owner_id = routed.agent_id if routed else None
        row = self.cases.defaults(ctx)
        number = claim_numbers(session, "case")[0]
        policy_id = pick_policy(ctx, priority, severity, tier, queue_name)
        row.update(
            number=number, title=title, description=mail.body, area=area,
            priority=priority, severity=severity, channel="email", contact_id=contact_id,
            account_id=account_id, queue_id=queue_id, owner_id=owner_id,
            created_at=mail.date, last_activity_at=mail.date,
            extras={"message_id": mail.message_id,
                    **({"follows": case_label(follows.number)} if follows else {}),
                    **({"mentions": case_label(mentioned.number)} if mentioned else {})},
        )
        row.update(case_deadlines(ctx, policy_id, mail.date, "new"))
        if mentioned is not None:
            self._bump(N_("mentions of cases the sender may not join"))
        case_id: int = session.execute(
            insert(Case).values(**row).returning(col(Case.id))).scalar_one()
        record_event(
            session, case_id=case_id, at=mail.date,
            actor_id=ctx.actor.id if ctx.actor else None, kind="create",
            after={"queue_id": queue_id, "owner_id": owner_id, "status": "new"},
            note=(f"opened from e-mail {message_id or mail.message_id}"
                  + (f"; follows {case_label(follows.number)} ({follows.status})"
                     if follows else "")
                  + (f"; mentions {case_label(mentioned.number)} (the sender {mail.address} "
                     "is not that case's customer nor of its account)" if mentioned else "")
                  + (f"; {routed.reason}" if routed else "")
                  )[:1000],
            data={"import": ctx.source, "policy": ctx.cache["policy_names"].get(policy_id),
                  "routed": routed is not None,
                  **({"routing": routed.event_data()} if routed else {})},
        )
        return case_id


def _same_message(row: Any, mail: Mail, sender: str) -> bool:
    """Whether the stored interaction ``row`` is ``mail`` itself: by content hash, or for
    mails stored before hashes were kept, by subject, body and sender."""
    stored = (row.extras or {}).get("content_hash") if isinstance(row.extras, dict) else None
    if stored:
        return bool(stored == mail.content_hash)
    return (row.subject or "") == mail.subject[:500] and (row.notes or "") == mail.body \
        and (row.email_from or "") == sender


def _after(moment: Any, since: Any) -> bool:
    """Whether a mail written at ``moment`` came after ``since`` (unknown: yes)."""
    return since is None or moment > since


def prepare_mail(session: Session, ctx: Ctx, queue: str | None) -> RuleSet:
    """Read what storing mail needs once (queues, agents, policies: ``ctx.cache``; the
    default queue for new cases: ``queue``, else the first of area general, then
    technical) and return the routing rules."""
    prepare_cache(session, ctx)
    rules = RuleSet.load(session)  # once per run: matched in Python for every mail
    queues = ctx.cache["queues"]
    if queue:
        if queue not in queues:
            raise ConfigError(_("--queue {queue}: no such queue (see `casedesk queue list`)")
                              .format(queue=repr(queue)))
        default = queues[queue]
    else:
        areas = ctx.cache["queue_by_area"]
        default = areas.get("general") or areas.get("technical")
        if default is None:
            raise ConfigError(_("no queue for new cases: pass --queue NAME (there is no queue of "
                                "area general or technical)"))
    ctx.cache["default_mail_queue"] = default
    return rules


def import_mail(
    desk: Desk,
    actor: Actor | None,
    paths: list[Path],
    options: ImportOptions,
    zone: zoneinfo.ZoneInfo,
    tx: Transactions,
    summary: ImportSummary,
    progress: Progress | None,
) -> None:
    """Import every message of ``paths`` (see the module docstring)."""
    ctx = Ctx(actor, desk.now(), "", default_queue=options.queue)
    with read_session(desk.engine) as session:
        rules = prepare_mail(session, ctx, options.queue)
    sources: list[MailSource] = []
    size = max(1, min(options.batch_size, MAIL_BATCH))
    try:
        for path in paths:  # every file is opened before anything is written
            sources.append(MailSource(path))
            if not options.dry_run:
                check_rejects_path(sources[-1].rejects_file)
        if not options.dry_run:
            check_distinct([(str(s.path), s.rejects_file) for s in sources])
        for source in sources:
            ctx.source = source.name
            work = MailImport(ctx, rules, summary)
            rejects: list[tuple[int, bytes, str]] = []
            pending: list[tuple[int, bytes, str | None]] = []
            done = 0
            for item in source:
                pending.append(item)
                if len(pending) >= size:
                    done += _batch(tx, work, pending, zone, ctx, summary, rejects, source.name)
                    if progress is not None:
                        progress(source.name, summary.read, done, source.total)
            done += _batch(tx, work, pending, zone, ctx, summary, rejects, source.name)
            if progress is not None:
                progress(source.name, summary.read, done, source.total)
            if options.dry_run:
                continue
            try:
                if rejects:
                    summary.rejects.append(str(source.write_rejects(rejects)))
                elif source.rejects_file.exists():
                    source.rejects_file.unlink()
            except OSError as exc:
                raise write_failed(source.rejects_file, exc, summary) from None
    except BaseException:
        tx.finish(commit=False)
        raise
    finally:
        for source in sources:
            source.close()


def _write(tx: Transactions, work: MailImport,
           parsed: list[tuple[int, bytes, Mail | None, str | None]], summary: ImportSummary,
           name: str) -> list[tuple[int, bytes, str | None, str]]:
    """Store ``parsed`` in one transaction; on failure the summary's details and
    warnings are as they were before it."""
    details, warnings = dict(summary.details), list(summary.warnings)
    outcomes: list[tuple[int, bytes, str | None, str]] = []
    try:
        with tx.batch() as session:
            work.contacts.clear()  # a rolled-back (dry-run) batch must not leave ids behind
            work.find_contacts(session, {m.address for _, _, m, _ in parsed if m is not None})
            for index, data, mail, reason in parsed:
                if mail is None:
                    outcomes.append((index, data, reason, ""))
                else:
                    outcomes.append((index, data, None,
                                     work.store(session, mail, f"{name}:{index}")))
    except BaseException:
        summary.details.clear()
        summary.details.update(details)
        summary.warnings[:] = warnings
        work.contacts.clear()
        raise
    return outcomes


def _batch(tx: Transactions, work: MailImport, pending: list[tuple[int, bytes, str | None]],
           zone: zoneinfo.ZoneInfo, ctx: Ctx, summary: ImportSummary,
           rejects: list[tuple[int, bytes, str]], name: str) -> int:
    if not pending:
        return 0
    count = len(pending)
    parsed: list[tuple[int, bytes, Mail | None, str | None]] = []
    for index, data, unreadable in pending:
        if unreadable is not None:
            parsed.append((index, data, None, unreadable))
            continue
        try:
            parsed.append((index, data, Mail(data, zone, ctx.now), None))
        except RowError as exc:
            parsed.append((index, data, None, str(exc)))
        except Exception as exc:  # noqa: BLE001 - any malformed message is a reject
            parsed.append((index, data, None, _("unreadable message: {problem}").format(
                problem=exc)))
    try:
        outcomes = _write(tx, work, parsed, summary, name)
    except Exception as exc:
        if not refused(exc):
            raise
        if not tx.retryable:
            raise ValidationError(
                _("{source}: the database refused one of messages {first}–{last} ({problem}); "
                  "nothing imported (--on-error abort)").format(
                    source=name, first=parsed[0][0], last=parsed[-1][0],
                    problem=refusal(exc))) from None
        outcomes = []
        for item in parsed:  # again one message per transaction: only the refused one fails
            try:
                outcomes += _write(tx, work, [item], summary, name)
            except Exception as exc:
                if not refused(exc):
                    raise
                outcomes.append((item[0], item[1], _("the database refused it: {problem}")
                                 .format(problem=refusal(exc)), ""))
    for index, data, reason, status in outcomes:
        summary.read += 1
        if reason is not None:
            summary.rejected += 1
            if len(summary.errors) < 20:
                summary.errors.append(printable(f"{name}:{index}: {reason}"))
            rejects.append((index, data, reason))
        else:
            setattr(summary, status, getattr(summary, status) + 1)
    pending.clear()
    return count
