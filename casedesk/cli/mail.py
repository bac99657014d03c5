"""``casedesk mail …``: the outbox (send what is due, how it stands), replies, mail in live.

``mail receive`` is what an MTA pipes one message into (docs/mail.md): exit 0 stored,
75 (``EX_TEMPFAIL``) when the database cannot take it now — the MTA keeps the message and
tries again —, 1 with the bounce reason on standard error when the desk refuses it.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from casedesk.cli import params
from casedesk.cli.state import CliState, console, err_console, print_json
from casedesk.config import mail_settings
from casedesk.errors import CaseDeskError, ConfigError, MailRefused
from casedesk.i18n import _

#: sysexits.h: a temporary failure, the MTA retries later
EX_TEMPFAIL = 75
EX_REFUSED = 1

app = typer.Typer(help=_("Mail the desk sends (the outbox) and receives (from an MTA)."),
                  no_args_is_help=True)


def smtp_settings(state: CliState, *, required: bool = True) -> tuple[Any, int] | None:
    """The SMTP settings of the config/environment and the sender's interval (seconds);
    None when no host is configured (``required``: that is a ConfigError)."""
    from casedesk.services.mail.smtp import SmtpSettings

    values = mail_settings(state.settings)
    every = int(str(values.pop("send_every", 10)))
    values.pop("socket", None)
    if "host" not in values:
        if not required:
            return None
        raise ConfigError(_("no SMTP server configured: set host in the [mail] table of "
                            "config.toml or CASEDESK_SMTP_HOST (see docs/mail.md)"))
    return SmtpSettings(**values), every  # type: ignore[arg-type]


@app.command("send-pending", help=_("Send the mail that is due now, once, and exit."))
def send_pending(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", min=1, max=100000,
                              help=_("At most this many mails in this pass.")),
) -> None:
    from casedesk.services.mail.outbox import deliver_pending

    state: CliState = ctx.obj
    found = smtp_settings(state)
    assert found is not None
    report = deliver_pending(state.desk(), found[0], limit=limit)
    if state.json:
        print_json(report.to_json())
        return
    console.print(_("mail: {delivered} delivered, {retried} to retry, {failed} failed").format(
        delivered=report.delivered, retried=report.retried, failed=report.failed),
        markup=False)
    for line in report.problems:
        console.print(f"  {line}", markup=False)
    if report.stopped:
        err_console.print(_("casedesk: mail not sent: {reason}").format(reason=report.stopped),
                          markup=False)
        raise typer.Exit(1)


@app.command("status", help=_("How many mails are pending, being sent, delivered, failed."))
def status(ctx: typer.Context) -> None:
    from casedesk.services.mail.outbox import outbox_counts

    state: CliState = ctx.obj
    counts = outbox_counts(state.desk())
    full = {s: counts.get(s, 0) for s in ("pending", "sending", "delivered", "failed")}
    if state.json:
        print_json(full)
        return
    console.print(_("outbox: {pending} pending, {sending} sending, {delivered} delivered, "
                    "{failed} failed").format(**full), markup=False)


@app.command("list", help=_("The latest mails of the outbox (never their bodies)."))
def list_mail(
    ctx: typer.Context,
    status_: str | None = typer.Option(
        None, "--status", help=_("Only mails in this status: pending, sending, delivered, "
                                 "failed.")),
    limit: int = typer.Option(50, "--limit", min=1, max=10000,
                              help=_("At most this many, newest first.")),
) -> None:
    from casedesk.plain import cell
    from casedesk.services.mail.outbox import outbox_lines

    state: CliState = ctx.obj
    if status_ is not None and status_ not in ("pending", "sending", "delivered", "failed"):
        raise typer.BadParameter(_("--status must be pending, sending, delivered or failed"))
    lines = outbox_lines(state.desk(), status=status_, limit=limit)
    if state.json:
        print_json([line.to_json() for line in lines])
        return
    for line in lines:
        console.print(cell(f"#{line.id} {line.status} ×{line.attempts} {line.kind} "
                           f"{line.to}: {line.subject}"
                           + (f" — {line.last_error}" if line.last_error else "")))


@app.command("reply", help=_("E-mail the case's customer (an outbound e-mail on the case)."))
def reply(
    ctx: typer.Context,
    case: str = typer.Argument(..., metavar="CASE", help=_("The case number (CS-000123).")),
    text: str = typer.Option(..., "--text", "-t",
                             help=_("What to write; - reads it from standard input.")),
    subject: str | None = typer.Option(None, "--subject",
                                       help=_("The subject (default: Re: the case's title).")),
) -> None:
    from casedesk.services.mail import replies

    state: CliState = ctx.obj
    body = sys.stdin.read() if text == "-" else text
    view = replies.reply(state.desk(), state.actor(), case, body, subject=subject)
    if state.json:
        print_json(view)
        return
    console.print(_("reply queued to {case}'s customer: {subject}").format(
        case=view.case, subject=view.subject), markup=False)


def _temporary(exc: BaseException) -> bool:
    """A failure the MTA should retry: the database (unreachable, locked, restarting,
    refused) or its configuration (an old schema, no queue for new cases)."""
    if isinstance(exc, ConfigError):
        return True
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError)


def receive_outcome(desk: Any, data: bytes, *, queue: str | None, timezone: str,
                    acknowledge: bool, own_address: str | None,
                    as_json: bool) -> tuple[int, str, str]:
    """Store one message: ``(exit code, stdout, stderr)`` — 0 stored, 1 refused (the
    reason), 75 try again later. Shared by the command and the worker's mail gate."""
    import json as _json
    import zoneinfo

    from casedesk.textsafe import one_line

    try:
        from casedesk.services.mail import receive as gate

        try:
            zone = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(_("unknown time zone {zone!r}").format(zone=timezone)) from None
        result = gate.receive(desk() if callable(desk) else desk, data, zone=zone,
                              queue=queue, own_address=own_address, acknowledge=acknowledge)
    except MailRefused as exc:
        return EX_REFUSED, "", one_line(_("casedesk: refused: {reason}").format(reason=exc))
    except ConfigError as exc:
        if queue and str(exc).startswith("--queue"):  # the pipe's flag names no queue: usage
            return 2, "", one_line(f"casedesk: {exc}")
        return EX_TEMPFAIL, "", one_line(
            _("casedesk: temporary failure, try again later: {error}").format(
                error=f"{type(exc).__name__}: {exc}"))[:1000]
    except Exception as exc:  # noqa: BLE001 - anything else: keep the message, retry later
        kind = "" if isinstance(exc, CaseDeskError) or _temporary(exc) else " (a bug?)"
        return EX_TEMPFAIL, "", one_line(
            _("casedesk: temporary failure, try again later: {error}").format(
                error=f"{type(exc).__name__}: {exc}{kind}"))[:1000]
    out = ""
    if as_json:
        out = _json.dumps({"status": result.status, "case": result.case_number,
                           "opened": result.opened, "message_id": result.message_id,
                           "acknowledged": result.acknowledged}, ensure_ascii=False)
    return 0, out, ""


@app.command("receive", help=_(
    "Store one message read on standard input (for an MTA's pipe): exit 0 stored, 75 try "
    "again later, 1 refused (the reason on standard error)."))
def receive(
    ctx: typer.Context,
    queue: str | None = typer.Option(None, "--queue",
                                     help=_("The queue of new cases no routing rule places.")),
    timezone: str = typer.Option("Europe/Madrid", "--timezone",
                                 help=_("Zone of a Date header written without an offset.")),
    no_ack: bool = typer.Option(False, "--no-ack",
                                help=_("Do not acknowledge new cases to their sender.")),
) -> None:
    from casedesk.cli import mailgate

    state: CliState = ctx.obj
    # the pipe's own mistakes (flags, the config file) are usage errors (exit 2), found
    # before the message is read; only what the database does now is "try again" (75)
    state.settings  # noqa: B018 - read and checked now
    params.time_zone(timezone)
    if queue is not None and not queue.strip():
        raise typer.BadParameter(_("--queue is empty"))
    # the bytes a hand-over to a worker already read (it served another database)
    data = mailgate._read.pop() if mailgate._read else sys.stdin.buffer.read()
    try:
        own = mail_settings(state.settings).get("from_address")
    except ConfigError:
        own = None
    code, out, err = receive_outcome(state.desk, data, queue=queue, timezone=timezone,
                                     acknowledge=not no_ack,
                                     own_address=str(own) if own else None,
                                     as_json=state.json)
    if out:
        console.print(out, markup=False)
    if err:
        err_console.print(err, markup=False)
    if code:
        raise typer.Exit(code)
