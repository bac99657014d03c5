"""A case-creating process for the assignment races (``python -m tests.services.assign_worker``).

``python -m tests.services.assign_worker URL LOGIN QUEUE COUNT START`` waits until the
epoch time START (so every process begins together), creates COUNT cases into QUEUE as
LOGIN, and prints one JSON line: the owner login (or null) of each case it created.
"""

from __future__ import annotations

import json
import sys
import time

from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.workflow import cases


def create(url: str, login: str, queue: str, count: int, start: float) -> list[str | None]:
    engine = make_engine(url)
    try:
        desk = Desk(engine)
        actor = desk.actor(login)
        time.sleep(max(0.0, start - time.time()))
        return [
            cases.create_case(desk, actor, title=f"{login} {i}", queue=queue).owner
            for i in range(count)
        ]
    finally:
        engine.dispose()


if __name__ == "__main__":
    url, login, queue, count, start = sys.argv[1:6]
    print(json.dumps(create(url, login, queue, int(count), float(start))))
