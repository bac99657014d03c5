"""What row-level security (migration 0006) costs the inbox page and a claim (accept).

    python bench/rls.py [--cases 100000] [--rounds 200]

PostgreSQL only. One database, one run: the same reads and claims connected as the owner
(row security does not apply to it: the baseline) and as the agent ``maria``'s own login
role (every policy applies), alternating so both see the same cache and load. A tenth of
the cases sit in a team's queue, so the policies have something to hide.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import databases, fresh_desk, summary  # type: ignore[import-not-found]  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    for _name, url in databases("postgresql", Path("/tmp/unused.db")):
        run(url, args.cases, args.rounds)


def run(url: str, cases: int, rounds: int) -> None:
    from sqlalchemy import text

    from casedesk.clock import SystemClock
    from casedesk.db import make_engine
    from casedesk.services.context import Desk
    from casedesk.services.queries import reads
    from casedesk.services.workflow import transitions
    from tests.pgroles import as_role, ensure_login_role

    owner = fresh_desk(url, cases=cases)
    with owner.engine.begin() as conn:
        team = conn.execute(text("INSERT INTO team (name) VALUES ('Partner') RETURNING id"))
        team_id = team.scalar_one()
        conn.execute(text("INSERT INTO queue (name, area, strategy, team_id) "
                          "VALUES ('partner', 'general', 'manual', :t)"), {"t": team_id})
        conn.execute(text('UPDATE "case" SET queue_id = (SELECT id FROM queue '
                          "WHERE name = 'partner') WHERE id % 10 = 0"))
        conn.execute(text("ANALYZE"))
    ensure_login_role(url, "maria", "agent")
    agent = Desk(make_engine(as_role(url, "maria")), SystemClock())
    timings: dict[str, dict[str, list[float]]] = {"owner": {}, "maria": {}}
    for _ in range(rounds):
        for who, desk in (("owner", owner), ("maria", agent)):
            actor = desk.actor("maria")
            started = time.perf_counter()
            page = reads.inbox(desk, "technical", limit=50)
            timings[who].setdefault("inbox", []).append((time.perf_counter() - started) * 1e3)
            number = page.rows[0].number
            started = time.perf_counter()
            transitions.accept(desk, actor, number)
            timings[who].setdefault("accept", []).append((time.perf_counter() - started) * 1e3)
            transitions.dispatch(desk, actor, number)
    print(f"{cases} cases, {rounds} rounds each")
    for what in ("inbox", "accept"):
        base, rls = timings["owner"][what], timings["maria"][what]
        ratio = statistics.median(rls) / statistics.median(base)
        print(f"{what:7} owner  {summary(base)}")
        print(f"{what:7} maria  {summary(rls)}   ratio {ratio:.2f}×")
    agent.engine.dispose()
    owner.engine.dispose()


if __name__ == "__main__":
    main()
