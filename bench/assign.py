"""What a queue strategy adds to creating a case, against a raw-SQL pick in the same run.

    python bench/assign.py [--cases 100000] [--creates 300] [--db sqlite|postgresql|both]

A desk with the demo people, ``--cases`` open cases waiting in the technical queue and
20 in each member's bin; then ``--creates`` cases are created into the queue under each strategy
(manual first: the baseline of creating a case). Separately, ``pick_agent`` alone is timed
against one hand-written SQL statement that makes the least-loaded choice (members,
available, open cases per bin, under capacity, ordered), in its own transaction each.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from common import databases, fresh_desk, summary  # type: ignore[import-not-found]

RAW_LEAST_LOADED = """
SELECT a.id, a.login, count(c.id) AS load, a.capacity
FROM queue_member m
JOIN agent a ON a.id = m.agent_id
LEFT JOIN "case" c ON c.owner_id = a.id AND c.owner_id IS NOT NULL
     AND c.status IN ('new', 'in_progress', 'awaiting_customer', 'resolved')
WHERE m.queue_id = :queue AND a.active AND a.status = 'available'
GROUP BY a.id, a.login, a.capacity
HAVING count(c.id) < a.capacity
ORDER BY count(c.id) * 1.0 / a.capacity, count(c.id), a.login
LIMIT 1
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--db", default="both")
    args = parser.parse_args()
    for name, url in databases(args.db, Path("/tmp/casedesk-bench-assign.db")):
        run(name, url, args.cases, args.creates)


def run(name: str, url: str, cases: int, creates: int) -> None:
    from sqlalchemy import select, text, update

    from casedesk.db import write_session
    from casedesk.models import Agent, Case, Queue
    from casedesk.services.directory import queue_setup
    from casedesk.services.routing.assign import pick_agent
    from casedesk.services.workflow import cases as case_service

    desk = fresh_desk(url, cases=cases)
    sup = desk.actor("sofia")
    with write_session(desk.engine) as s:
        queue_id = s.execute(select(Queue.id).where(Queue.name == "technical")).scalar_one()
        members = queue_setup.get_queue(desk, "technical").members
        ids = list(s.execute(select(Agent.id).where(Agent.login.in_(members))).scalars())
        s.execute(update(Agent).values(capacity=cases + 10 * creates))
        # a realistic bin: 20 open cases each; everything else waits in the queue
        case_ids = list(s.execute(select(Case.id).limit(20 * len(ids))).scalars())
        for i, owner in enumerate(ids):
            s.execute(update(Case).where(Case.id.in_(case_ids[i::len(ids)]))
                      .values(owner_id=owner))
    print(f"{name}: {cases:,} cases, {len(ids)} members in technical")
    medians: dict[str, float] = {}
    for strategy in ("manual", "round_robin", "least_loaded", "skills", "affinity"):
        queue_setup.set_strategy(desk, sup, "technical", strategy)
        times = []
        for i in range(creates):
            started = time.perf_counter()
            case_service.create_case(desk, sup, title=f"bench {i}", queue="technical")
            times.append((time.perf_counter() - started) * 1000)
        medians[strategy] = statistics.median(times)
        extra = medians[strategy] - medians["manual"]
        print(f"  create, {strategy:<12} {summary(times)} · +{extra:.2f} ms on manual")
    picks, raws = [], []
    for _ in range(creates):
        with write_session(desk.engine) as s:
            started = time.perf_counter()
            pick_agent(s, queue_id, "least_loaded", area="technical", contact_id=None,
                       now=desk.now())
            picks.append((time.perf_counter() - started) * 1000)
        with write_session(desk.engine) as s:
            started = time.perf_counter()
            s.execute(text(RAW_LEAST_LOADED), {"queue": queue_id}).first()
            raws.append((time.perf_counter() - started) * 1000)
    ratio = statistics.median(picks) / statistics.median(raws)
    print(f"  pick_agent least_loaded {summary(picks)}")
    print(f"  raw SQL least loaded    {summary(raws)} · pick_agent / raw = {ratio:.2f}")
    desk.engine.dispose()


if __name__ == "__main__":
    main()
