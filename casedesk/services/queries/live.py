"""Cheap change detection for screens that refresh by themselves.

The workstation polls :func:`change_token` about once a second and reloads its visible
lists only when the token differs from the last one. Every part of the token is a
lookup the databases answer from an index (the maximum of a primary key is the last
entry of its b-tree, on SQLite and on PostgreSQL); only the agents part reads a table,
and that table holds one row per person on the floor, and the standalone-tasks part reads
the rows of tasks that have no case (found through ``ix_task_case_id``), which are few.

What each part catches:

* ``max(case_event.id)`` — every case operation writes exactly one event (create, the
  seven queue/WIP operations, status changes, notes, time, links, interactions on a case).
* ``max(interaction.id)`` — interactions logged without a case.
* ``max(task.id)`` and ``max(article_link.id)`` — tasks added, articles linked or sent.
  A task on a case changing state (added, done) writes a ``task`` event on its case.
* the number of finished tasks that have no case — a standalone task done: it has no
  case to write an event on. Tasks only go from open to done (or cancelled), so each
  such change moves the count.
* a digest of the agents' status, capacity and activity — the supervisor's agents list.
"""

from __future__ import annotations

import zlib

from sqlalchemy import func, select
from sqlmodel import col

from casedesk.db import read_session
from casedesk.models import Agent, ArticleLink, CaseEvent, Interaction, Task
from casedesk.services.context import Desk

Token = tuple[int, int, int, int, int, int]


def change_token(desk: Desk) -> Token:
    """A value that changes whenever something a workstation list shows has changed."""
    with read_session(desk.engine) as session:
        events, interactions, tasks, links, standalone_done = session.execute(
            select(
                select(func.max(CaseEvent.id)).scalar_subquery(),
                select(func.max(Interaction.id)).scalar_subquery(),
                select(func.max(Task.id)).scalar_subquery(),
                select(func.max(ArticleLink.id)).scalar_subquery(),
                select(func.count())
                .select_from(Task)
                .where(col(Task.case_id).is_(None), col(Task.status) != "open")
                .scalar_subquery(),
            )
        ).one()
        agents = session.execute(
            select(
                col(Agent.id), col(Agent.status), col(Agent.capacity), col(Agent.active)
            ).order_by(col(Agent.id))
        ).all()
    digest = zlib.crc32(repr([tuple(a) for a in agents]).encode())
    return (events or 0, interactions or 0, tasks or 0, links or 0, standalone_done or 0, digest)
