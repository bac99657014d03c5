"""``casedesk worker``: take part in running the SLA clock from a server, headless.

It runs beside the workstations: whichever process holds the clock's lease runs each tick
(see :mod:`casedesk.services.sla.lease`), so any number of workers and workstations may be
up at once. ``--once`` runs one tick (if it is due and nobody else holds the clock) and
exits, for cron and tests. Ctrl-C or SIGTERM stops it; the lease is given up on the way out.
"""

from __future__ import annotations

import signal
import threading

import typer

from casedesk.cli import params
from casedesk.cli.state import CliState, console, print_json
from casedesk.config import TICK_RANGE
from casedesk.i18n import _
from casedesk.services.queries import board
from casedesk.services.sla.lease import ClockRunner, TickRun

HELP = _("Run the SLA clock (warnings, breaches, escalations, auto-close) until stopped.")


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
    if once:
        try:
            run = runner.step()
        finally:
            runner.close()
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
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    if not quiet and not state.json:
        console.print(
            _("{who} takes part in the SLA clock every {seconds} s (Ctrl-C to stop)").format(
                who=runner.who, seconds=tick_seconds),
            markup=False,
        )
    runner.run(stop)
    if not quiet and not state.json:
        console.print(_("stopped; the SLA clock's lease is given up"), markup=False)
