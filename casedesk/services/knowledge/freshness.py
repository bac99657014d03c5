"""A cheap value that changes whenever the knowledge base does (an article added, edited,
published or retired): the case screen re-reads its suggestions when it moves."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import col

from casedesk.db import read_session
from casedesk.models.knowledge import Article
from casedesk.services.context import Desk

Token = tuple[int, str, int]


def articles_token(desk: Desk) -> Token:
    """``(last id, last change, count)`` of the articles (one aggregate over a table of
    a few thousand rows at most)."""
    with read_session(desk.engine) as session:
        last_id, last_change, count = session.execute(
            select(func.max(col(Article.id)), func.max(col(Article.updated_at)), func.count())
            .select_from(Article)
        ).one()
    return (last_id or 0, str(last_change or ""), count or 0)
