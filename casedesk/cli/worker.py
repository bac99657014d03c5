"""``casedesk worker``: take part in running the SLA clock from a server, headless.

It runs beside the workstations: whichever process holds the clock's lease runs each tick
(see :mod:`casedesk.services.sla.lease`), so any number of workers and workstations may be
up at once. ``--once`` runs one tick (if it is due and nobody else holds the clock) and
exits, for cron and tests. Ctrl-C or SIGTERM stops it; the lease is given up on the way out.

It also sends the outbox (docs/mail.md) when an SMTP host is configured: a pass every
``send_every`` seconds (10 by default) on a thread of its own, beside the clock; ``--once``
makes one pass after the tick. Any number of workers may send: each mail is claimed by one.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import TYPE_CHECKING, Any

import typer

from casedesk import heap
from casedesk.cli import params
from casedesk.cli.mail import smtp_settings
from casedesk.cli.state import CliState, console, err_console, print_json
from casedesk.config import TICK_RANGE, mail_settings
from casedesk.i18n import _
from casedesk.services.queries import board
from casedesk.services.sla.lease import ClockRunner, TickRun

HELP = _("Run the SLA clock (warnings, breaches, escalations, auto-close) until stopped.")

if TYPE_CHECKING:
    from casedesk.cli.mailgate import MailGate
    from casedesk.services.context import Desk
    from casedesk.services.mail.smtp import SmtpSettings

log = logging.getLogger(__name__)


def worker(
    ctx: typer.Context,
    every: int | None = typer.Option(
        None, "--every", metavar="SECONDS",
        help=_("Seconds between ticks ({low} to {high}; default: the sla_tick_seconds "
                "setting, 60).").format(low=TICK_RANGE[0], high=f"{TICK_RANGE[1]:,}"),
        parser=params.integer("--every", *TICK_RANGE),
    ),
    once: bool = typer.Option(False, "--once", help=_("Run one tick if it is due, then exit.")),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=_("Print nothing but errors.")),
    no_mail: bool = typer.Option(False, "--no-mail", help=_("Do not send the outbox.")),
    no_gate: bool = typer.Option(False, "--no-gate",
                                 help=_("Do not store mail piped to casedesk mail receive.")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    tick_seconds = every or state.settings.sla_tick_seconds

    def said(run: TickRun) -> None:
        if state.json:
            print_json({"tick": run.tick, "by": run.by, "seconds": run.seconds,
                        "report": run.report.to_json(), "counts": run.report.counts()})
        elif not quiet:
            console.print(run.line(), markup=False)

    runner = ClockRunner(desk, "worker", tick_seconds=tick_seconds, on_tick=said)
    mail = None if no_mail else smtp_settings(state, required=False)
    if once:
        try:
            run = runner.step()
        finally:
            runner.close()
        if mail is not None:
            _mail_pass(desk, mail[0], quiet=quiet, json=state.json)
        if run is not None:
            said(run)
        elif not quiet:
            status = board.clock_status(desk, tick_seconds=tick_seconds)
            if state.json:
                print_json({"tick": None, "status": status.to_json()})
            elif status.holder and status.holder != runner.who:
                console.print(_("not run: {holder} holds the SLA clock").format(
                    holder=status.holder), markup=False)
            else:
                console.print(
                    _("not run: tick {tick} already ran (by {who})").format(
                        tick=status.last_tick, who=status.last_run_by or _("another process")),
                    markup=False,
                )
        return
    heap.settle()  # a process that runs all shift: its start-up out of the collector's way
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if not quiet and not state.json:
        console.print(
            _("{who} takes part in the SLA clock every {seconds} s (Ctrl-C to stop)").format(
                who=runner.who, seconds=tick_seconds),
            markup=False,
        )
    gate = None if no_gate else _open_gate(state, quiet=quiet)
    sender = None
    if mail is not None:
        sender = threading.Thread(target=_send_loop, args=(desk, *mail, stop, quiet, state.json),
                                  name="casedesk-mail", daemon=True)
        sender.start()
        if not quiet and not state.json:
            console.print(_("it sends the outbox every {seconds} s through {host}:{port}")
                          .format(seconds=mail[1], host=mail[0].host, port=mail[0].port),
                          markup=False)
    elif not quiet and not state.json and not no_mail:
        console.print(_("mail: no SMTP server configured ([mail] host): the outbox is not "
                        "sent"), markup=False)
    try:
        runner.run(stop)
    finally:
        if gate is not None:
            gate.close()
    if sender is not None:
        sender.join(timeout=60)
    if not quiet and not state.json:
        console.print(_("stopped; the SLA clock's lease is given up"), markup=False)


def _open_gate(state: CliState, *, quiet: bool) -> MailGate | None:
    """Listen for ``casedesk mail receive`` (docs/mail.md); None when another worker does."""
    from casedesk.cli.mail import receive_outcome
    from casedesk.cli.mailgate import MailGate, socket_path

    desk = state.desk()
    own = mail_settings(state.settings).get("from_address")

    def handle(message: bytes, request: dict[str, Any]) -> tuple[int, str, str]:
        return receive_outcome(desk, message, queue=request.get("queue"),
                               timezone=str(request.get("timezone") or "Europe/Madrid"),
                               acknowledge=bool(request.get("ack", True)),
                               own_address=str(own) if own else None,
                               as_json=bool(request.get("json")))

    path = socket_path()
    try:
        gate = MailGate(path, state.database_url, handle)
    except OSError as exc:
        if not quiet:
            err_console.print(_("mail: no mail gate here: {reason}").format(reason=exc),
                              markup=False)
        return None
    gate.start()
    if not quiet and not state.json:
        console.print(_("it stores piped mail (casedesk mail receive) through {path}")
                      .format(path=path), markup=False)
    return gate


def _mail_pass(desk: Desk, settings: SmtpSettings, *, quiet: bool, json: bool) -> None:
    """One pass of the sender; a line when it did something (never raises)."""
    from casedesk.services.mail.outbox import deliver_pending

    try:
        report = deliver_pending(desk, settings)
    except Exception as exc:  # noqa: BLE001 - the database restarting: next pass
        log.warning("the outbox could not be sent: %s", exc)
        return
    if json:
        if report.attempted:
            print_json({"mail": report.to_json()})
        return
    if report.attempted and not quiet:
        console.print(_("mail: {delivered} delivered, {retried} to retry, {failed} failed")
                      .format(delivered=report.delivered, retried=report.retried,
                              failed=report.failed), markup=False)
    for line in report.problems:
        err_console.print(f"mail: {line}", markup=False)


def _send_loop(desk: Desk, settings: SmtpSettings, every: int, stop: threading.Event,
               quiet: bool, json: bool) -> None:
    while not stop.is_set():
        _mail_pass(desk, settings, quiet=quiet, json=json)
        stop.wait(every)
