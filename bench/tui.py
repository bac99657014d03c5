"""Workstation benchmark: time to the first interactive screen, and page-down latency in a
queue of a million cases.

Run: ``python bench/tui.py`` (from the repository root). The first run builds
``/tmp/casedesk-tui-1m.db`` with ``demo.generate_cases(desk, 1_000_000, queue="technical")``
(about 70–90 s); later runs reuse it. ``--cases N`` and ``--db PATH`` change the set-up.

Launch: ``casedesk`` itself runs ``--launches`` times in a 120×40 pseudo-terminal (as an
agent starts it: interpreter, imports, database check, Textual), timed from process start
to the inbox drawn (its keys work from then on) and to the first case number drawn.
Page-down: the app runs headless in this process (``App.run_test``).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_DB = Path("/tmp/casedesk-tui-1m.db")


def build(path: Path, cases: int) -> None:
    """Create the database (schema, demo people, ``cases`` generated cases) unless present."""
    from casedesk.db import make_engine, upgrade
    from casedesk.services import demo
    from casedesk.services.context import Desk

    if path.exists():
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)  # a file built by an older casedesk gets the newer migrations
        engine.dispose()
        return
    partial = path.with_suffix(".partial")
    for leftover in path.parent.glob(partial.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{partial}")
    upgrade(engine)
    desk = Desk(engine)
    demo.seed(desk, cases=0)
    demo.generate_cases(desk, cases, queue="technical")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    partial.rename(path)
    print(f"built {path} with {cases:,} cases in {time.perf_counter() - started:.1f} s")


def measure_process(path: Path) -> tuple[float, float, float]:
    """Run ``casedesk`` in a pseudo-terminal of 120×40, as an agent would start it; returns
    seconds to the first byte on the terminal, to the inbox drawn (its keys work from
    then on; its rows load in a worker) and to the first case number drawn."""
    import fcntl
    import os
    import pty
    import re
    import select
    import signal
    import struct
    import tempfile
    import termios

    config = tempfile.mkdtemp(prefix="casedesk-bench-tui-")
    env = dict(os.environ, CASEDESK_DATABASE_URL=f"sqlite:///{path}", CASEDESK_AGENT="maria",
               CASEDESK_CONFIG_DIR=config, TERM="xterm-256color")
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: casedesk as the console script runs it
        os.execve(sys.executable, [sys.executable, "-m", "casedesk"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    screen = b""
    first_byte = drawn = 0.0
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], 30)
            if not ready:
                raise SystemExit("casedesk drew no case within 30 s")
            chunk = os.read(fd, 65536)
            if not first_byte:
                first_byte = time.perf_counter() - started
            screen += chunk
            if not drawn and b"My queues" in screen:
                drawn = time.perf_counter() - started
            if re.search(rb"CS-\d{6}", screen):
                return first_byte, drawn or time.perf_counter() - started, \
                    time.perf_counter() - started
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)


async def measure(path: Path, presses: int) -> dict[str, float]:
    """Launch the app on the inbox, then press page-down ``presses`` times."""
    t_import = time.perf_counter()
    from textual import events

    from casedesk.app import CaseDeskApp
    from casedesk.db import open_database
    from casedesk.services.context import Desk
    from casedesk.widgets.case_table import CaseTable

    imported = time.perf_counter() - t_import
    started = time.perf_counter()
    desk = Desk(open_database(f"sqlite:///{path}"))
    app = CaseDeskApp(desk, desk.actor("maria"), start_mode="inbox", poll_interval=None,
                      clock_interval=None)
    figures: dict[str, float] = {"import_s": imported}
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#inbox-cases", CaseTable)
        deadline = time.perf_counter() + 30
        while table.row_count == 0:
            if time.perf_counter() > deadline:
                raise SystemExit("the inbox showed no cases within 30 s")
            await asyncio.sleep(0.005)
        figures["first_screen_s"] = time.perf_counter() - started
        await pilot.pause()
        table.focus()
        await pilot.pause()
        screen = app.screen
        latencies = []
        for _ in range(presses):
            await app.workers.wait_for_complete()  # a page fetched in the background lands
            await pilot.pause()
            before = table.cursor_row
            t0 = time.perf_counter()
            key = events.Key("pagedown", None)
            key.set_sender(app)
            app._driver.send_message(key)  # type: ignore[union-attr]
            while table.cursor_row == before:
                await asyncio.sleep(0)
            await pilot._wait_for_screen()
            screen._on_timer_update()  # paint the frame now
            latencies.append(time.perf_counter() - t0)
        await app.workers.wait_for_complete()
        await pilot.pause()
        figures["rows_loaded"] = table.row_count
        figures["cursor_row"] = table.cursor_row
        figures["pagedown_median_ms"] = statistics.median(latencies) * 1000
        figures["pagedown_p95_ms"] = sorted(latencies)[int(len(latencies) * 0.95) - 1] * 1000
        figures["pagedown_max_ms"] = max(latencies) * 1000
        figures["page_fetch_ms"] = statistics.median(screen.fetch_ms) if screen.fetch_ms else 0
    desk.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--presses", type=int, default=60)
    parser.add_argument("--launches", type=int, default=5,
                        help="Runs of `casedesk` in a pseudo-terminal (median shown).")
    args = parser.parse_args()
    build(args.db, args.cases)
    launches = [measure_process(args.db) for _ in range(args.launches)]
    figures = asyncio.run(measure(args.db, args.presses))
    print(f"database: {args.db}")
    print(f"`casedesk` in a 120×40 pty, {len(launches)} runs (median, best, worst):")
    for label, index in (("first output", 0), ("inbox drawn, keys live", 1),
                         ("first case drawn", 2)):
        times = sorted(run[index] * 1000 for run in launches)
        print(f"  process start → {label + ':':<24}{statistics.median(times):6.0f} ms "
              f"({times[0]:.0f}, {times[-1]:.0f})")
    print("in-process (App.run_test):")
    print(f"import casedesk.app:                 {figures['import_s'] * 1000:7.0f} ms")
    print(f"App() → first rows in the inbox:     {figures['first_screen_s'] * 1000:7.0f} ms")
    print(
        f"page-down ({args.presses} presses): median {figures['pagedown_median_ms']:.1f} ms, "
        f"p95 {figures['pagedown_p95_ms']:.1f} ms, max {figures['pagedown_max_ms']:.1f} ms"
    )
    print(f"rows held after paging: {int(figures['rows_loaded'])} (cursor {figures['cursor_row']})")
    print(f"next page fetched in the background (query + warnings): "
          f"median {figures['page_fetch_ms']:.1f} ms")


if __name__ == "__main__":
    main()
