"""``casedesk mail receive`` benchmark (issue 18 point 2): per piped message, start to exit.

Run: ``python bench/mail_receive.py`` (from the repository root; ``--runs N``). A demo
SQLite file (``casedesk demo --cases 200``) receives ``--runs`` distinct messages, each as a
fresh process (what an MTA's pipe does), four ways, beside two baselines of the same run:

- ``python -c pass`` — the interpreter starting and stopping;
- plain SQL — a Python process that opens the file with ``sqlite3`` and inserts the rows a
  new mail makes (an interaction, a case, its event), no threading or routing;
- ``mail receive`` in process (no worker running): the command loads SQLAlchemy, the
  models and the import code itself;
- ``mail receive`` handed to a running ``casedesk worker`` (its mail gate).

Then the real-world corpus (tests/data/mail/cpython) through the gate: stored, refused
(with the reasons), and the time per message.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.cli import casedesk_command, environment  # noqa: E402

FOLDER = Path("/tmp/casedesk-bench-mail")

PLAIN_SQL = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], timeout=30)
now = time.strftime('%Y-%m-%d %H:%M:%S')
with db:
    n = db.execute("UPDATE counter SET value = value + 1 WHERE name = 'case' RETURNING value")
    number = n.fetchone()[0]
    cid = db.execute(
        "INSERT INTO \\"case\\" (number, title, description, area, priority, severity, status,"
        " created_at, updated_at, due_at, paused_seconds, sla_flags, version)"
        " VALUES (?, 'x', 'y', 'general', 'medium', 'minor', 'new', ?, ?, ?, 0, 0, 1)",
        (number, now, now, now)).lastrowid
    db.execute("INSERT INTO case_event (case_id, at, kind) VALUES (?, ?, 'create')", (cid, now))
    db.execute(
        "INSERT INTO interaction (channel, direction, typification, case_id, started_at,"
        " duration_seconds, wrap_seconds, subject, notes, message_id)"
        " VALUES ('email', 'inbound', 'query', ?, ?, 0, 0, 's', 'b', ?)",
        (cid, now, sys.argv[2]))
"""


def message(n: int, tag: str) -> bytes:
    return (f"From: Cliente {n} <cliente{n}@example.net>\r\nTo: soporte@desk.example\r\n"
            f"Subject: Sin servicio {n}\r\nMessage-ID: <{tag}-{n}-{time.time_ns()}@bench>\r\n"
            "Date: Mon, 30 Nov 2026 09:00:00 +0100\r\n\r\nDesde ayer no tengo línea.\r\n"
            ).encode()


def timed(argv: list[str], env: dict[str, str], data: bytes | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(argv, input=data, capture_output=True, env=env)
    return time.perf_counter() - started, done.returncode


def figures(name: str, times: list[float], floor: float) -> str:
    median = statistics.median(times)
    return (f"| {name} | {median * 1000:,.0f} ms | {min(times) * 1000:,.0f} ms | "
            f"{median / floor:.1f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    FOLDER.mkdir(parents=True, exist_ok=True)
    env = environment(FOLDER)
    env["CASEDESK_MAIL_SOCKET"] = str(FOLDER / "mail.sock")
    db = FOLDER / "mail.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{db}"
    cmd = casedesk_command()
    subprocess.run([*cmd, "--db", url, "demo", "--cases", "200"], env=env, check=True,
                   capture_output=True)
    rows: dict[str, list[float]] = {"pass": [], "sql": [], "inproc": [], "gate": []}
    for n in range(args.runs):
        rows["pass"].append(timed([sys.executable, "-c", "pass"], env)[0])
        rows["sql"].append(timed([sys.executable, "-c", PLAIN_SQL, str(db),
                                  f"<sql-{n}-{time.time_ns()}@bench>"], env)[0])
        seconds, code = timed([*cmd, "--db", url, "mail", "receive"], env, message(n, "in"))
        assert code == 0, code
        rows["inproc"].append(seconds)
    worker = subprocess.Popen([*cmd, "--db", url, "worker", "--no-mail", "--quiet"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if (FOLDER / "mail.sock").exists():
                break
            time.sleep(0.1)
        for n in range(args.runs):
            seconds, code = timed([*cmd, "--db", url, "mail", "receive"], env,
                                  message(n, "gate"))
            assert code == 0, code
            rows["gate"].append(seconds)
        corpus = sorted((ROOT / "tests" / "data" / "mail" / "cpython").glob("msg_*.txt"))
        outcomes: dict[int, int] = {}
        spent = []
        for path in corpus:
            seconds, code = timed([*cmd, "--db", url, "mail", "receive"], env,
                                  path.read_bytes())
            outcomes[code] = outcomes.get(code, 0) + 1
            spent.append(seconds)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    floor = statistics.median(rows["pass"])
    print(f"load average {os.getloadavg()[0]:.1f}, {args.runs} runs each\n")
    print("| per piped message | median | best | ÷ `python -c pass` |")
    print("|---|---|---|---|")
    print(figures("`python -c pass`", rows["pass"], floor))
    print(figures("plain SQL (sqlite3: case, event, interaction)", rows["sql"], floor))
    print(figures("`mail receive`, in process", rows["inproc"], floor))
    print(figures("`mail receive`, through a running worker", rows["gate"], floor))
    print(f"\ncorpus: {len(corpus)} messages: {outcomes.get(0, 0)} stored, "
          f"{outcomes.get(1, 0)} refused, {outcomes.get(75, 0)} to retry; median "
          f"{statistics.median(spent) * 1000:,.0f} ms a message")


if __name__ == "__main__":
    main()
