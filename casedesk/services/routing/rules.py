"""Routing: which queue a new case goes to, by the active routing rules.

Today this is the e-mail importer's keyword matching (a new case from a mail goes to the
queue of the first active rule, by position, whose keywords appear in its subject); the
next issue fills this module with routing proper (DESIGN §Routing). May import models,
``casedesk.db`` and pure helpers; never the workflow, the queries or the UI.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from casedesk.models import RoutingRule
from casedesk.services.imports.values import fold


class Rule(NamedTuple):
    """One active routing rule as matching needs it: folded keywords and where it sends."""

    keywords: list[str]
    area: str | None
    queue_id: int
    queue_name: str | None


def folded_words(text: str) -> str:
    """Folded words (case, accents and punctuation off), for keyword matching."""
    return " ".join(fold(w) for w in text.split())


def email_rules(session: Session, queue_names: dict[int, str]) -> list[Rule]:
    """The active rules that apply to e-mail (no channel condition, or ``email``), in order."""
    out = []
    rules = session.execute(
        select(RoutingRule).where(col(RoutingRule.active).is_(True))
        .order_by(col(RoutingRule.position), col(RoutingRule.id))
    ).scalars()
    for rule in rules:
        cond = rule.conditions or {}
        channel = cond.get("channel")
        if channel and "email" not in (channel if isinstance(channel, list) else [channel]):
            continue
        keywords = cond.get("keywords") or []
        if isinstance(keywords, str):
            keywords = [keywords]
        area = cond.get("area") if isinstance(cond.get("area"), str) else None
        out.append(Rule([folded_words(str(k)) for k in keywords], area, rule.queue_id,
                        queue_names.get(rule.queue_id)))
    return out


def route(rules: list[Rule], subject: str) -> tuple[int, str, str | None] | None:
    """``(queue id, queue name, area)`` of the first rule whose keywords are in ``subject``."""
    folded = folded_words(subject)
    for keywords, area, queue_id, queue_name in rules:
        if any(k and k in folded for k in keywords):
            return queue_id, queue_name or "", area
    return None
