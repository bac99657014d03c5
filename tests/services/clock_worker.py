"""A process taking part in the SLA clock, for the lease tests.

``python -m tests.services.clock_worker URL TICK_SECONDS RUN_SECONDS`` runs the clock
(system time, a short tick) for ``RUN_SECONDS`` or until SIGTERM, and prints one JSON line
when it is ready and one per tick it ran (``{"tick": n, "by": "host:pid:worker"}``).
"""

from __future__ import annotations

import json
import signal
import sys
import threading

from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.sla.lease import ClockRunner, TickRun


def main(url: str, tick_seconds: float, run_seconds: float) -> None:
    engine = make_engine(url)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    timer = threading.Timer(run_seconds, stop.set)
    timer.daemon = True
    timer.start()

    def said(run: TickRun) -> None:
        print(json.dumps({"tick": run.tick, "by": run.by}), flush=True)

    runner = ClockRunner(Desk(engine), "worker", tick_seconds=tick_seconds, on_tick=said)
    print(json.dumps({"ready": runner.who}), flush=True)
    runner.run(stop)
    engine.dispose()
    print(json.dumps({"done": runner.who}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
    sys.exit(0)
