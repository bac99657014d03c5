"""Which SLA policy each listed case runs on: what a list needs to count business time.

A list row (:class:`~casedesk.services.queries.views.CaseRow`) carries its nearest
deadline but not its policy. The workstation counts every countdown in business time on
the policy's calendar (the SLA's own clock, the same count the case screen shows), so a
list asks here for the policy names of the rows it holds (one primary-key lookup each,
in chunks) and takes each policy's calendar from the targets it loaded once
(:func:`casedesk.services.sla.explanations.targets_by_name`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import col

from casedesk.db import read_session
from casedesk.models import Case, SlaPolicy
from casedesk.services.context import Desk

_CHUNK = 500


def policy_names(desk: Desk, case_ids: Iterable[int]) -> dict[int, str | None]:
    """``{case id: its SLA policy's name}`` (None: the case runs on no policy, so its
    deadlines count on the always-open calendar); ids that name no case are left out."""
    ids = sorted(set(case_ids))
    out: dict[int, str | None] = {}
    if not ids:
        return out
    with read_session(desk.engine) as session:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = session.execute(
                select(col(Case.id), col(SlaPolicy.name))
                .outerjoin(SlaPolicy, col(SlaPolicy.id) == col(Case.sla_policy_id))
                .where(col(Case.id).in_(chunk))
            ).all()
            for case_id, name in rows:
                out[int(case_id)] = name
    return out
