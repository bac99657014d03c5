"""What routing adds to case creation: ~50 active rules vs none, against a raw-SQL insert.

    python bench/routing.py [--n 300] [--rules 50] [--db sqlite|postgresql|both]

Three timings per database, each the p50 of ``--n`` cases created one transaction each by
``cases.create_case`` (no queue given, a customer with an account):

- **no rules** — the case goes to the creator's bin (what creation costs today);
- **50 rules** — 49 rules that do not match (keywords, tier, product, contract, channel,
  area conditions: the account's tier and products are read, every rule is tried) and a last
  one that matches: the worst case, every rule evaluated;
- **raw SQL** — the baseline: the same case row and its create event inserted with two
  hand-written ``INSERT`` statements in one transaction, no ORM, no rules, no SLA.

Also ``decide()`` alone (rules read and matched, in a read transaction). Routing's cost is
``50 rules − no rules``; the target is under 2 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from common import databases, percentile  # type: ignore[import-not-found]


def rules_file(count: int) -> dict[str, Any]:
    """``count`` active rules; only the last one matches the benchmark's cases."""
    kinds: list[dict[str, Any]] = [
        {"keywords": ["factura", "cobro", "recibo"]},
        {"tier": "vip", "severity": ["critical", "major"]},
        {"product": "FIBRA-600", "contract": True},
        {"channel": ["email", "chat"], "subject": "baja"},
        {"area": "commercial", "keywords": ["oferta", "portabilidad"]},
        {"description": ["urgente", "sin servicio"], "priority": "high"},
    ]
    rules = []
    for i in range(count - 1):
        when = dict(kinds[i % len(kinds)])
        if "keywords" in when:
            when["keywords"] = [f"{k}{i}" for k in when["keywords"]]
        rules.append({"name": f"regla {i + 1}", "queue": "billing", "when": when})
    rules.append({"name": "resto", "queue": "technical", "when": {"keywords": "consulta"}})
    return {"rule": rules}


def run(name: str, url: str, n: int, count: int, strategy: str = "manual") -> dict[str, float]:
    from sqlalchemy import delete, insert, select, text

    from casedesk.db import make_engine, read_session, upgrade, write_session
    from casedesk.models import Contact, Product, RoutingRule
    from casedesk.services import demo
    from casedesk.services.context import Desk
    from casedesk.services.routing import rule_files
    from casedesk.services.routing.rules import NewCase, decide
    from casedesk.services.workflow import cases

    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(engine)
    demo.seed(desk, cases=0)
    actor = desk.actor("maria")
    with write_session(engine) as s:
        s.execute(delete(RoutingRule))
        if s.execute(select(Product.id).where(Product.code == "FIBRA-600")).first() is None:
            s.execute(insert(Product).values(code="FIBRA-600", name="Fibra 600"))
        contact, account = s.execute(
            select(Contact.id, Contact.account_id).where(Contact.account_id.is_not(None))
            .limit(1)).one()

    def create(i: int) -> float:
        started = time.perf_counter()
        cases.create_case(desk, actor, title=f"Consulta número {i}",
                          description="El cliente pregunta por su tarifa.", contact_id=contact)
        return (time.perf_counter() - started) * 1000

    for i in range(20):
        create(i)  # warm caches and the connection pool
    plain = [create(i) for i in range(n)]
    rule_files.store_rules(desk, rule_files.parse_rules(rules_file(count)))
    if strategy != "manual":  # the matched rule's queue also picks an agent
        from casedesk.services.directory import queue_setup

        queue_setup.set_strategy(desk, desk.actor("sofia"), "technical", strategy)
    for i in range(20):
        create(i)
    routed = [create(i) for i in range(n)]
    new = NewCase(title="Consulta número 1", description="El cliente pregunta por su tarifa.",
                  account_id=account, contact_id=contact)
    alone = []
    for _ in range(n):
        with read_session(engine) as s:
            started = time.perf_counter()
            decision = decide(s, new, desk.now())
            alone.append((time.perf_counter() - started) * 1000)
    assert decision is not None and decision.rule_name == "resto", decision
    with read_session(engine) as s:
        last = s.execute(text("SELECT max(number) FROM \"case\"")).scalar_one()
    raw = []
    now = desk.now()
    for i in range(n):
        started = time.perf_counter()
        with engine.begin() as conn:
            case_id = conn.execute(text(
                'INSERT INTO "case" (number, title, description, area, priority, severity, '
                "status, contact_id, account_id, owner_id, creator_id, created_at, updated_at, "
                "last_activity_at, due_at, paused_seconds, sla_flags, version) VALUES (:n, :t, "
                "'', 'general', 'medium', 'minor', 'new', :c, :a, :o, :o, :now, :now, :now, "
                ":far, 0, 0, 1) RETURNING id"),
                {"n": last + 1000 + i, "t": f"raw {i}", "c": contact, "a": account,
                 "o": actor.id, "now": now.replace(tzinfo=None) if name == "sqlite" else now,
                 "far": "2999-01-01 00:00:00"}).scalar_one()
            conn.execute(text(
                "INSERT INTO case_event (case_id, at, actor_id, kind, to_status) "
                "VALUES (:id, :now, :o, 'create', 'new')"),
                {"id": case_id, "now": now.replace(tzinfo=None) if name == "sqlite" else now,
                 "o": actor.id})
        raw.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    figures = {
        "no rules": statistics.median(plain), "rules": statistics.median(routed),
        "decide": statistics.median(alone), "decide p95": percentile(alone, 95),
        "raw": statistics.median(raw),
    }
    added = figures["rules"] - figures["no rules"]
    print(f"{name}: create_case p50 {figures['no rules']:.2f} ms without rules, "
          f"{figures['rules']:.2f} ms with {count} active rules (routing adds {added:.2f} ms); "
          f"decide() alone p50 {figures['decide']:.2f} ms, p95 {figures['decide p95']:.2f} ms; "
          f"raw-SQL insert p50 {figures['raw']:.2f} ms "
          f"(create_case {figures['no rules'] / figures['raw']:.1f}× / "
          f"{figures['rules'] / figures['raw']:.1f}× raw) · n={n}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--db", default="both")
    parser.add_argument("--strategy", default="manual",
                        help="the matched queue's strategy (least_loaded: rules + an agent pick)")
    args = parser.parse_args()
    for name, url in databases(args.db, Path("/tmp/casedesk-bench-routing.db")):
        run(name, url, args.n, args.rules, args.strategy)


if __name__ == "__main__":
    main()
