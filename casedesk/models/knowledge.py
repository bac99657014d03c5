"""Knowledge articles and their links to the cases they helped."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from casedesk.models.base import BIG_ID, utc_column


class Article(SQLModel, table=True):
    """A knowledge-base article (``KB-000042``) with a Markdown body.

    Its full-text index lives outside the ORM, made by migration 0002 and kept in step by
    the database itself: on SQLite the FTS5 table ``article_fts`` (filled by triggers), on
    PostgreSQL the generated tsvector columns ``search_vector`` and ``title_vector`` (GIN).
    ``version`` guards edits (optimistic locking); ``external_id`` is for imports.
    """

    __tablename__ = "article"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    number: int = Field(sa_type=BIG_ID, unique=True)
    title: str = Field(max_length=300)
    keywords: str = Field(default="", max_length=1000)
    body: str = Field(default="")
    status: str = Field(default="draft", max_length=16)
    author_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    source_case_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="case.id")
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
    used_count: int = Field(default=0)
    version: int = Field(default=1)
    external_id: str | None = Field(default=None, max_length=128, unique=True, index=True)


class ArticleLink(SQLModel, table=True):
    """An article used on a case, or sent to the case's customer."""

    __tablename__ = "article_link"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    article_id: int = Field(
        sa_type=BIG_ID, foreign_key="article.id", index=True, ondelete="CASCADE"
    )
    case_id: int = Field(sa_type=BIG_ID, foreign_key="case.id", index=True, ondelete="CASCADE")
    kind: str = Field(default="used", max_length=16)  # "used" or "sent"
    agent_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    contact_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="contact.id")
    at: datetime = Field(sa_column=utc_column(nullable=False))
