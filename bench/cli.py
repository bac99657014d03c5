"""CLI benchmark (issue 15, point 8): how long a command takes from process start to exit.

Run: ``python bench/cli.py`` (from the repository root; ``--runs N``, ``--db PATH``).
A demo SQLite file is built first (``casedesk demo --cases 200``) plus one queued case per
``case accept`` (taken by a bench agent of large capacity). Each command runs ``--runs``
times as a fresh process (wall time, median and best), beside two baselines of the run:

- ``python -c pass`` — the interpreter starting and stopping, the floor of any process;
- plain SQL — a Python process that opens the file with ``sqlite3`` and reads the case
  row (what ``case show`` must at least do).

Each command runs twice: alone (``CASEDESK_RESIDENT=0``: the process imports everything
itself) and handed to the resident process (``CASEDESK_RESIDENT=1``, started by a first
untimed command; :mod:`casedesk.cli.resident`) — what a person at a terminal gets.

Then the same commands through ONE ``casedesk batch`` process (``--runs`` lines each):
per command, the batch's wall time divided by its lines.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = Path("/tmp/casedesk-bench-cli.db")


def casedesk_command() -> list[str]:
    """The console script beside this interpreter (what a person runs), else ``-m``."""
    script = Path(sys.executable).with_name("casedesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "casedesk"]


def environment(folder: Path, resident: bool = False) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CASEDESK_")}
    env["CASEDESK_CONFIG_DIR"] = str(folder / "config")
    env["CASEDESK_DATA_DIR"] = str(folder / "data")
    env["CASEDESK_RESIDENT"] = "1" if resident else "0"
    env["CASEDESK_RESIDENT_DIR"] = str(folder / "run")
    return env


def start_resident(cli: list[str], env: dict[str, str], folder: Path) -> None:
    """One untimed command leaves the resident process behind; wait until it listens."""
    wall([*cli, "case", "show", "CS-000001"], env)
    deadline = time.monotonic() + 60
    while not list((folder / "run").glob("*.sock")):
        if time.monotonic() > deadline:
            raise SystemExit("bench: the resident process did not start")
        time.sleep(0.05)


def stop_resident(folder: Path) -> None:
    for pid_file in (folder / "run").glob("*.pid"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def wall(argv: Sequence[str], env: dict[str, str], stdin: str | None = None) -> float:
    """Seconds from start to exit of one process (which must succeed)."""
    started = time.perf_counter()
    done = subprocess.run(list(argv), input=stdin, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv)[:200]} failed: {done.stderr.strip()[:500]}")
    return elapsed


def build(path: Path, env: dict[str, str], accepts: int) -> tuple[str, list[str]]:
    """The demo file and ``accepts`` fresh cases waiting in a queue (their numbers)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    cli = [*casedesk_command(), "--db", url]
    subprocess.run([*cli, "demo", "--cases", "200"], check=True, env=env,
                   capture_output=True)
    lines = "agent add bench --name 'Bench Agent' --capacity 1000 --queues technical\n"
    lines += "".join(f"case create --title 'Bench {i}' --queue technical\n"
                     for i in range(accepts))
    done = subprocess.run([*cli, "--as", "admin", "--json", "batch"], input=lines, env=env,
                          capture_output=True, text=True, check=True)
    numbers = [json.loads(line)["output"]["label"] for line in done.stdout.splitlines()[1:]]
    return url, numbers


def timed(runs: int, make_argv: Callable[[int], list[str]], env: dict[str, str]
          ) -> list[float]:
    """Wall times of ``runs`` processes, the i-th running ``make_argv(i)``."""
    return [wall(make_argv(i), env) for i in range(runs)]


def commands(how: str, cli: list[str], env: dict[str, str], runs: int, accepts: list[str]
             ) -> list[tuple[str, list[float]]]:
    """The timed rows of ``--help``, ``case show``, ``case accept``, ``case note``."""
    return [
        (f"casedesk --help ({how})", timed(runs, lambda i: [*casedesk_command(), "--help"], env)),
        (f"case show ({how})", timed(runs, lambda i: [*cli, "case", "show", "CS-000003"], env)),
        (f"case accept ({how})", timed(runs, lambda i: [*cli, "case", "accept", accepts[i]],
                                       env)),
        (f"case note ({how})", timed(
            runs, lambda i: [*cli, "case", "note", "CS-000003", f"{how} note {i}"], env)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--lines", type=int, default=200, help="Lines per batch.")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    args = parser.parse_args()
    folder = args.db.parent / "casedesk-bench-cli"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = environment(folder)
    url, queued = build(args.db, env, accepts=2 * args.runs + args.lines)
    cli = [*casedesk_command(), "--db", url, "--as", "bench"]
    plain_sql = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
        "c.execute('SELECT * FROM \"case\" WHERE number = 3').fetchall(); c.close()"
    )
    resident = environment(folder, resident=True)
    start_resident(cli, resident, folder)
    rows: list[tuple[str, list[float]]] = [
        ("python -c pass", timed(args.runs, lambda i: [sys.executable, "-c", "pass"], env)),
        ("plain SQL (sqlite3, one SELECT)",
         timed(args.runs, lambda i: [sys.executable, "-c", plain_sql, str(args.db)], env)),
    ]
    rows += commands("alone", cli, env, args.runs, queued[:args.runs])
    rows += commands("resident", cli, resident, args.runs, queued[args.runs:2 * args.runs])
    stop_resident(folder)
    batches: list[tuple[str, float, float]] = []
    for name, lines in (
        ("case show", "case show CS-000003\n" * args.lines),
        ("case accept", "".join(f"case accept {n}\n" for n in queued[2 * args.runs:])),
        ("case note", "".join(f"case note CS-000003 'batch note {i}'\n"
                              for i in range(args.lines))),
    ):
        total = wall([*cli, "batch"], env, stdin=lines)
        batches.append((name, total, total / args.lines))
    floor = statistics.median(rows[0][1])
    sql = statistics.median(rows[1][1])
    print(f"CLI wall time, process start to exit, {args.runs} runs each "
          f"(load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores)")
    print(f"{'command':36} {'median':>9} {'best':>9} {'÷ pass':>7} {'÷ SQL':>7}")
    for name, times in rows:
        median = statistics.median(times)
        print(f"{name:36} {median * 1000:7.0f} ms {min(times) * 1000:7.0f} ms "
              f"{median / floor:6.1f}× {median / sql:6.1f}×")
    print(f"through one `casedesk batch` process ({args.lines} lines each):")
    single = {name.removesuffix(" (alone)"): statistics.median(times) for name, times in rows}
    for name, total, per in batches:
        print(f"  {name:34} {total:6.2f} s in all, {per * 1000:6.1f} ms a command "
              f"({single[name] / per:5.1f}× a process each)")


if __name__ == "__main__":
    main()
