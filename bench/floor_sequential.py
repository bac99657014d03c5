"""The floor bench's agent loop run by ONE agent, sequentially, per operation (issue 17):
wall time and client CPU (this process's own) of each operation, median over the loops.

    python bench/floor_sequential.py [--db sqlite|postgresql|both] [--loops 50] [--warm 10]

The loop is ``bench/floor.py``'s: log a call, create a case (odd loops) or take the next
one, add a note and a task, search the knowledge base, resolve. One thread, one
connection, no supervisor or SLA scan: what the service layer itself costs per operation.
"""

# ruff: noqa: B023 - the timed lambdas run at once, inside the loop iteration that made them

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from common import ROOT, databases  # type: ignore[import-not-found]
from floor import OPS, prepare  # type: ignore[import-not-found]

NAMES = {"call": "log a call", "create": "create a case", "next": "`next`",
         "note": "add a note", "task": "add a task", "search": "search the knowledge base",
         "resolve": "resolve"}


def run(url: str, loops: int, warm: int) -> dict[str, tuple[float, float]]:
    """Per operation: (median wall ms, mean client CPU ms) over ``loops`` loops."""
    from casedesk.db import make_engine
    from casedesk.services.context import Desk
    from casedesk.services.knowledge import library
    from casedesk.services.workflow import cases, interactions, tasks, transitions

    logins, _ids, _queue = prepare("seq", url, 1, 300)
    engine = make_engine(url)
    desk = Desk(engine)
    actor = desk.actor(logins[0])
    wall: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    words = ["router", "factura", "fibra", "contraseña"]

    def timed(op: str, measured: bool, call: Any) -> Any:
        w, c = time.perf_counter(), time.process_time()
        result = call()
        if measured:
            wall[op].append((time.perf_counter() - w) * 1000)
            cpu[op].append((time.process_time() - c) * 1000)
        return result

    for loop in range(warm + loops):
        on = loop >= warm
        timed("call", on, lambda: interactions.log_interaction(
            desk, actor, channel="phone", subject="bench call", duration_seconds=90,
            notes="called about the router"))
        if loop % 2:
            case = timed("create", on, lambda: cases.create_case(
                desk, actor, title=f"bench {loop}", description="no signal"))
        else:
            case = timed("next", on, lambda: transitions.next_case(desk, actor, "technical"))
        number = case.number
        timed("note", on, lambda: cases.add_note(desk, actor, number, "rebooted the router"))
        timed("task", on, lambda: tasks.add_task(desk, actor, title="call back", case=number))
        timed("search", on, lambda: library.search(
            desk, words[loop % len(words)], statuses=None, limit=10))
        timed("resolve", on, lambda: transitions.resolve(
            desk, actor, number, "solved", "rebooted"))
    engine.dispose()
    out = {op: (statistics.median(wall[op]), statistics.fmean(cpu[op])) for op in OPS}
    every_wall = [v for op in OPS for v in wall[op]]
    every_cpu = [v for op in OPS for v in cpu[op]]
    out["all"] = (statistics.fmean(every_wall), statistics.fmean(every_cpu))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="both")
    parser.add_argument("--loops", type=int, default=50)
    parser.add_argument("--warm", type=int, default=10)
    args = parser.parse_args()
    os.chdir(ROOT)
    results = {}
    for name, url in databases(args.db, Path("/tmp/casedesk-bench-floor-seq.db")):
        results[name] = run(url, args.loops, args.warm)
        print(f"{name} done, load average {os.getloadavg()[0]:.1f}", flush=True)
    names = list(results)
    print("| operation | " + " | ".join(f"{n} wall | client CPU" for n in names) + " |")
    print("|---|" + "---|---|" * len(names))
    for op in (*OPS, "all"):
        cells = " | ".join(f"{results[n][op][0]:.1f} ms | {results[n][op][1]:.2f} ms"
                           for n in names)
        print(f"| {NAMES.get(op, '**all**')} | {cells} |")
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
