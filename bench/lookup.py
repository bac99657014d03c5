"""Customer lookup as you type at a million contacts: ``find_contacts`` against the same
indexed queries written as plain driver SQL, in the same run, on each database.

    python bench/lookup.py [--contacts 1000000] [--lookups 300] [--db sqlite|postgresql|both]

``--contacts`` contacts with Spanish names (two surnames), an e-mail and a phone each are
inserted with their keys (``contact_keys``); then ``--lookups`` times a stored name is
typed as a person types it — lower case, no accents, its first 1 to 6 characters — and
looked up (8 matches, as the call log asks) by casedesk and by the baseline. Every
statement of both is indexed (migration 0012); the ratio is what casedesk adds on top
(SQLAlchemy compiling, the session, building the result dicts).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import databases, summary  # type: ignore[import-not-found]

FIRST = ["Laura", "Ana", "María", "José", "Ángel", "Lucía", "Javier", "Carmen", "Sofía",
         "Manuel", "Inés", "Raúl", "Elena", "Óscar", "Nuria", "Pablo", "Álvaro", "Marta",
         "Jesús", "Beatriz", "Iñaki", "Rocío", "Sergio", "Noelia", "Adrián", "Irene"]
LAST = ["Gómez", "Pérez", "Núñez", "García", "Martínez", "López", "Sánchez", "Fernández",
        "Rodríguez", "Díaz", "Muñoz", "Álvarez", "Romero", "Jiménez", "Ruiz", "Hernández",
        "Moreno", "Castaño", "Ibáñez", "Ortega", "Delgado", "Peña", "Vázquez", "Cortés",
        "Gutiérrez", "Marín", "Sáez", "Calleja", "Montaño", "Quiñones"]
CHUNK = 20_000


def plain(text: str) -> str:
    """``text`` as typed quickly: lower case, accents off."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))


def people(start: int, count: int, rng: random.Random) -> list[dict[str, Any]]:
    from casedesk.services.directory.customers import contact_keys

    rows = []
    for i in range(start, start + count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        email = f"{plain(name).replace(' ', '.')}.{i}@example.com"
        phone = f"+34 6{i // 1_000_000 % 100:02d} {i // 1000 % 1000:03d} {i % 1000:03d}"
        rows.append({"name": name, "email": email, "phone": phone,
                     "marketing_consent": False, **contact_keys(name, email, phone)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=300)
    parser.add_argument("--db", default="both")
    args = parser.parse_args()
    for name, url in databases(args.db, Path("/tmp/casedesk-bench-lookup.db")):
        run(name, url, args.contacts, args.lookups)


def baseline(dialect: str) -> Callable[[Any, str], list[tuple[Any, ...]]]:
    """The same indexed statements as ``find_contacts``, as plain driver SQL."""
    from casedesk.services.directory.customers import KEY_END, lookup_terms

    sqlite = dialect == "sqlite"
    mark = "?" if sqlite else "%s"
    collate = "" if sqlite else ' COLLATE "C"'
    words = (f"SELECT contact.id FROM contact JOIN contact_fts ON contact_fts.rowid = contact.id"
             f" WHERE contact_fts MATCH {mark} LIMIT {mark}" if sqlite else
             "SELECT contact.id FROM contact WHERE to_tsvector('simple'::regconfig, "
             "casedesk_fold(coalesce(contact.name, '') || ' ' || coalesce(contact.phone, '')))"
             f" @@ to_tsquery('simple'::regconfig, {mark}) LIMIT {mark}")

    def by_key(column: str) -> str:
        key = column + collate
        return (f"SELECT id FROM contact WHERE {key} >= {mark} AND {key} < {mark} "
                f"ORDER BY {key} LIMIT {mark}")

    def lookup(conn: Any, typed: str, limit: int = 8) -> list[tuple[Any, ...]]:
        terms = lookup_terms(typed)
        cur = conn.cursor()
        found: dict[int, None] = {}
        steps: list[tuple[str, tuple[Any, ...]]] = []
        if terms.name:
            steps.append((by_key("name_key"), (terms.name, terms.name + KEY_END, limit)))
        if terms.words:
            query = (" AND ".join(f'"{w}"*' for w in terms.words) if sqlite
                     else " & ".join(f"{w}:*" for w in terms.words))
            steps.append((words, (query, limit)))
        if terms.email:
            steps.append((by_key("email_key"), (terms.email, terms.email + KEY_END, limit)))
        if terms.phone:
            steps.append((by_key("phone_key"), (terms.phone, terms.phone + KEY_END, limit)))
        for statement, params in steps:
            cur.execute(statement, params)
            found.update(dict.fromkeys(r[0] for r in cur.fetchall()))
            if len(found) >= limit:
                break
        ids = list(found)[:limit]
        if not ids:
            return []
        cur.execute(
            "SELECT c.id, c.name, c.email, c.phone, a.name, a.tier FROM contact c "
            f"LEFT JOIN account a ON a.id = c.account_id WHERE c.id IN "
            f"({', '.join([mark] * len(ids))})", ids)
        return list(cur.fetchall())

    return lookup


def measure(desk: Any, raw: Any, lookup: Callable[[Any, str], list[tuple[Any, ...]]],
            typed: list[str]) -> tuple[list[float], list[float]]:
    """Milliseconds of each lookup by casedesk and by the baseline, alternating (so load
    on the machine hits both alike); both must find as many contacts."""
    from casedesk.services.directory.customers import find_contacts

    ours, theirs = [], []
    for text in typed:
        t0 = time.perf_counter()
        found = find_contacts(desk, text, limit=8)
        t1 = time.perf_counter()
        plain_found = lookup(raw, text)
        t2 = time.perf_counter()
        # as many found (which ones of a common word's matches is the database's choice)
        assert len(found) == len(plain_found), text
        ours.append((t1 - t0) * 1000)
        theirs.append((t2 - t1) * 1000)
    return ours, theirs


def run(name: str, url: str, contacts: int, lookups: int) -> None:
    from sqlalchemy import insert

    from casedesk.db import make_engine, upgrade, write_session
    from casedesk.models import Contact
    from casedesk.services.context import Desk

    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(engine)
    rng = random.Random(15)
    started = time.perf_counter()
    names: list[str] = []
    for i in range(0, contacts, CHUNK):
        rows = people(i, min(CHUNK, contacts - i), rng)
        names.extend(r["name"] for r in rows)
        with write_session(engine) as s:
            s.execute(insert(Contact), rows)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    print(f"{name}: {contacts:,} contacts in {time.perf_counter() - started:.0f} s")
    lookup = baseline(engine.dialect.name)
    raw = engine.raw_connection()
    prefixes = [plain(rng.choice(names))[: rng.randint(1, 6)] for _ in range(lookups)]
    # a surname first, then the start of the first name: only the word index finds these
    reversed_names = []
    for _ in range(lookups):
        first, *surnames = plain(rng.choice(names)).split()
        reversed_names.append(f"{surnames[0][: rng.randint(2, 6)]} {first[: rng.randint(1, 3)]}")
    for label, typed in (("name prefixes of 1-6 characters", prefixes),
                         ("surname first ('gomez la')", reversed_names)):
        ours, theirs = measure(desk, raw, lookup, typed)
        print(f"  {label}:")
        print(f"    find_contacts   {summary(ours)}")
        print(f"    plain SQL       {summary(theirs)}")
        print(f"    ratio (p50)     {statistics.median(ours) / statistics.median(theirs):.2f}×")
        by_length: dict[int, list[float]] = {}
        for text, ms in zip(typed, ours, strict=True):
            by_length.setdefault(len(text), []).append(ms)
        print("    casedesk p50 by typed length: " + ", ".join(
            f"{n}: {statistics.median(v):.2f} ms" for n, v in sorted(by_length.items())))
    raw.close()
    engine.dispose()


if __name__ == "__main__":
    main()
