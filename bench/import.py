"""Import speed: casedesk's validated import vs the raw database path, same rows, same run.

Run from the repository root:
``python bench/import.py [--rows N] [--db sqlite|postgresql|both] [--repeat K]``
(``--tickets-export FILE`` only writes a ticket export for the end-to-end run of
docs/imports.md).
Generates N interactions as a CSV (Spanish headers, naive Madrid times, contacts by e-mail,
agents by login, one extra column), then per database:

* raw: the same rows, parsed beforehand (outside the timing), inserted with
  ``sqlite3.executemany`` (SQLite) or psycopg ``COPY`` (PostgreSQL) in one transaction —
  the database's own ceiling;
* casedesk: ``run_import`` (mapping, validation of every field, contact/agent lookups,
  external-id idempotence check, batches of 5,000 in their own transactions) — for a file
  this size planned in a second process while this one writes
  (:mod:`casedesk.services.imports.parallel`);
* rerun: the same import again (every row "unchanged").

Each run starts from a freshly migrated database seeded with the demo people; with
``--repeat K`` every variant runs K times and the best time is shown (the machine is shared).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from casedesk.db import make_engine, read_session, upgrade  # noqa: E402
from casedesk.models import Contact, Interaction  # noqa: E402
from casedesk.services import demo  # noqa: E402
from casedesk.services.context import Desk  # noqa: E402
from casedesk.services.imports.run import run_import  # noqa: E402
from casedesk.services.imports.summary import ImportOptions  # noqa: E402

HEADER = ["ID Llamada", "Fecha", "Canal", "Sentido", "Tipo", "Cliente", "Agente", "Duración",
          "Asunto", "Notas", "Campaña"]
CHANNELS = ["teléfono", "phone", "correo", "chat", "web", "visita"]
TYPES = ["consulta", "incidencia", "queja", "solicitud", "query"]
SUBJECTS = ["Sin conexión", "Duda de factura", "Cambio de tarifa", "Router averiado",
            "Alta de línea", "Portabilidad"]
MADRID = ZoneInfo("Europe/Madrid")


def generate(path: Path, rows: int, emails: list[str], logins: list[str]) -> None:
    rng = random.Random(6)
    start = datetime(2025, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for i in range(rows):
            when = start + timedelta(seconds=i * 31 + rng.randrange(30))
            writer.writerow([
                f"CALL-{i:08d}", when.strftime("%Y-%m-%d %H:%M:%S"), rng.choice(CHANNELS),
                "entrante" if rng.random() < 0.8 else "saliente", rng.choice(TYPES),
                rng.choice(emails), rng.choice(logins), rng.randrange(20, 1800),
                rng.choice(SUBJECTS), "Cliente llama por " + rng.choice(SUBJECTS).lower(),
                f"C{rng.randrange(20)}",
            ])


def prepared_rows(path: Path, contacts: dict[str, int], agents: dict[str, int]) -> list[tuple]:
    """The rows as the raw paths insert them (parsed once, outside the timed part)."""
    channel = {"teléfono": "phone", "phone": "phone", "correo": "email", "chat": "chat",
               "web": "web", "visita": "visit"}
    typ = {"consulta": "query", "incidencia": "incident", "queja": "complaint",
           "solicitud": "request", "query": "query"}
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for r in reader:
            when = datetime.fromisoformat(r[1]).replace(tzinfo=MADRID).astimezone(UTC)
            out.append((channel[r[2]], "inbound" if r[3] == "entrante" else "outbound",
                        typ[r[4]], contacts[r[5]], agents[r[6]], when, int(r[7]), r[8], r[9],
                        r[0], json.dumps({"Campaña": r[10]}, ensure_ascii=False)))
    return out


COLUMNS = ("channel", "direction", "typification", "contact_id", "agent_id", "started_at",
           "duration_seconds", "subject", "notes", "external_id", "extras")


def setup(url: str) -> tuple[Desk, list[str], dict[str, int], dict[str, int]]:
    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(engine)
    demo.seed(desk, cases=0)
    with read_session(engine) as s:
        contacts = dict(s.execute(select(Contact.email, Contact.id)
                                  .where(Contact.email.is_not(None))).all())
        from casedesk.models import Agent

        agents = dict(s.execute(select(Agent.login, Agent.id)).all())
    return desk, sorted(contacts), contacts, agents


def raw_sqlite(db: Path, rows: list[tuple]) -> float:
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    data = [(*r[:5], r[5].strftime("%Y-%m-%d %H:%M:%S.%f"), *r[6:]) for r in rows]
    sql = f"INSERT INTO interaction ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * 11)})"
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(sql, data)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def raw_copy(url: str, rows: list[tuple]) -> float:
    dsn = url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(dsn) as conn:
        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
            f"COPY interaction ({', '.join(COLUMNS)}) FROM STDIN"
        ) as copy:
            for r in rows:
                copy.write_row(r)
        conn.commit()
        return time.perf_counter() - t0


def timed_import(desk: Desk, path: Path) -> tuple[float, object]:
    admin = desk.actor("admin")
    t0 = time.perf_counter()
    summary = run_import(desk, admin, "interactions", [path], ImportOptions())
    return time.perf_counter() - t0, summary


def count(desk: Desk) -> int:
    with read_session(desk.engine) as s:
        return s.execute(select(func.count()).select_from(Interaction)).scalar_one()


TICKET_HEADER = ["Ticket ID", "Customer Name", "Customer Email", "Customer Age",
                 "Customer Gender", "Product Purchased", "Date of Purchase", "Ticket Type",
                 "Ticket Subject", "Ticket Description", "Ticket Status", "Resolution",
                 "Ticket Priority", "Ticket Channel", "First Response Time",
                 "Time to Resolution", "Customer Satisfaction Rating"]
PEOPLE_FIRST = ["José", "María", "Lucía", "Ángel", "Jessica", "Christopher", "Marisa",
                "Nicolás", "Inés", "Raúl", "Zoë", "Denise", "William", "Sofía", "Óscar"]
PEOPLE_LAST = ["Núñez", "Pérez", "Obrien", "Rios", "Gómez", "Muñoz", "Dillon", "Carroll",
               "Álvarez", "Lee", "Wright", "Fernández", "Walker", "Ibáñez", "Dawson"]
PRODUCTS = ["GoPro Hero", "LG Smart TV", "Dell XPS", "Microsoft Office", "Fitbit Versa",
            "Autodesk AutoCAD", "Philips Hue Lights", "Microsoft Surface"]
TICKET_SUBJECTS = ["Product setup", "Peripheral compatibility", "Network problem",
                   "Account access", "Data loss", "Payment issue", "Refund request",
                   "Battery life", "Installation support"]


def _variant(rng: random.Random, name: str) -> str:
    """How one customer's name comes out on another row: case and accents vary."""
    plain = name.translate(str.maketrans("áéíóúÁÉÍÓÚñÑëË", "aeiouAEIOUnNeE"))
    return rng.choice([name, name, name.upper(), name.lower(), plain, plain.upper()])


def generate_tickets(path: Path, rows: int = 8469, customers: int = 580) -> None:
    """A ticket export shaped like the public customer-support-tickets dataset: ``rows``
    tickets of ``customers`` people (each on many rows, their names in accent and case
    variants, e-mails in mixed case), statuses Open / Pending Customer Response / Closed,
    quoted multi-line descriptions, first-response and resolution instants in the past."""
    rng = random.Random(16)
    people = []
    for i in range(customers):
        first, last = rng.choice(PEOPLE_FIRST), rng.choice(PEOPLE_LAST)
        email = f"{first}.{last}{i}@example.com".lower().translate(
            str.maketrans("áéíóúñëö", "aeiouneo"))
        people.append((f"{first} {last}", email))
    start = datetime(2023, 6, 1, 0, 0)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(TICKET_HEADER)
        for i in range(rows):
            name, email = people[i % customers] if i < customers else rng.choice(people)
            status = rng.choice(["Open", "Pending Customer Response", "Closed"])
            opened = start + timedelta(minutes=rng.randrange(2 * 24 * 60))
            first_response = opened + timedelta(minutes=rng.randrange(5, 600))
            resolved = first_response + timedelta(minutes=rng.randrange(10, 3000))
            product = rng.choice(PRODUCTS)
            writer.writerow([
                i + 1, _variant(rng, name),
                email.upper() if rng.random() < 0.1 else email,
                rng.randrange(18, 70), rng.choice(["Male", "Female", "Other"]), product,
                f"202{rng.randrange(3)}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}",
                rng.choice(["Technical issue", "Billing inquiry", "Refund request"]),
                rng.choice(TICKET_SUBJECTS),
                f"I'm having an issue with the {product}. Please assist.\n\n"
                f"Ticket {i + 1}: it stopped working.",
                status, "Case maybe 8." if status == "Closed" else "",
                rng.choice(["Critical", "High", "Medium", "Low"]),
                rng.choice(["Email", "Phone", "Chat", "Social media"]),
                first_response.strftime("%Y-%m-%d %H:%M:%S") if status != "Open" else "",
                resolved.strftime("%Y-%m-%d %H:%M:%S") if status == "Closed" else "",
                f"{rng.randrange(1, 6)}.0" if status == "Closed" else "",
            ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tickets-export", type=Path, metavar="FILE",
                        help="Only write a ticket export of --rows tickets (8,469 by "
                             "default) of 580 customers to FILE, for `casedesk import cases "
                             "FILE --profile customer-support-tickets`, and stop.")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Runs of each variant (fresh database each); the best is shown.")
    args = parser.parse_args()
    if args.tickets_export is not None:
        rows = args.rows if "--rows" in sys.argv else 8469
        generate_tickets(args.tickets_export, rows)
        print(f"wrote {rows:,} tickets of 580 customers to {args.tickets_export}")
        return
    work = Path(tempfile.mkdtemp(prefix="casedesk-bench-import-"))
    csv_path = work / "interactions.csv"
    names = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    server = None
    print(f"{args.rows:,} interactions, best of {args.repeat}", flush=True)
    try:
        for name in names:
            best: dict[str, float] = {}

            def fresh(label: str, run: int, name: str = name) -> str:
                nonlocal server
                if name == "sqlite":
                    return f"sqlite:///{work / f'{label}{run}.db'}"
                if server is None:
                    from tests.pgserver import start_postgres

                    server = start_postgres()
                return server.create_database(f"bench_{label}{run}")

            for run in range(args.repeat):
                raw_url = fresh("raw", run)
                raw_desk, emails, contacts, agents = setup(raw_url)
                if not csv_path.exists():
                    t0 = time.perf_counter()
                    generate(csv_path, args.rows, emails, sorted(agents))
                    size = csv_path.stat().st_size / 1e6
                    print(f"generated {args.rows:,} rows ({size:,.0f} MB) in "
                          f"{time.perf_counter() - t0:.1f} s: {csv_path}", flush=True)
                rows = prepared_rows(csv_path, contacts, agents)
                raw_desk.engine.dispose()
                if name == "sqlite":
                    seconds = raw_sqlite(Path(raw_url.removeprefix("sqlite:///")), rows)
                    label = "raw sqlite3.executemany"
                else:
                    seconds = raw_copy(raw_url, rows)
                    label = "raw psycopg COPY"
                del rows
                best[label] = min(best.get(label, seconds), seconds)
                desk, *_ = setup(fresh("casedesk", run))
                before = count(desk)
                seconds, summary = timed_import(desk, csv_path)
                assert count(desk) - before == args.rows, summary
                label = "casedesk import (validated)"
                best[label] = min(best.get(label, seconds), seconds)
                seconds, summary = timed_import(desk, csv_path)
                assert summary.unchanged == args.rows, summary
                label = "casedesk import again (unchanged)"
                best[label] = min(best.get(label, seconds), seconds)
                desk.engine.dispose()
            for label, seconds in best.items():
                print(f"{name:<11} {label:<34} {seconds:8.2f} s "
                      f"{args.rows / seconds:>12,.0f} rows/s", flush=True)
            if server is not None:
                server.stop()
                server = None
    finally:
        if server is not None:
            server.stop()
    print(f"\nfiles in {work}")


if __name__ == "__main__":
    main()
