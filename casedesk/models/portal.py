"""The customer portal's records: sign-in links, portal sessions, quotes, files, surveys.

Secrets are never stored: a sign-in link's token and a portal session's cookie are kept as
their SHA-256 (``token_hash``), so a copy of the database lets nobody in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, SmallInteger
from sqlmodel import Field, SQLModel

from casedesk.models.base import BIG_ID, utc_column

#: where a quote is (``quote.status``)
QUOTE_STATUSES = ("pending", "approved", "declined")


class PortalLink(SQLModel, table=True):
    """A one-time sign-in link sent by mail: random, stored hashed, expiring, single use."""

    __tablename__ = "portal_link"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    contact_id: int = Field(sa_type=BIG_ID, foreign_key="contact.id", index=True)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=utc_column())


class PortalSession(SQLModel, table=True):
    """A signed-in customer: the cookie's hash, the CSRF token of its forms, an expiry."""

    __tablename__ = "portal_session"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    csrf: str = Field(max_length=64)
    contact_id: int = Field(sa_type=BIG_ID, foreign_key="contact.id", index=True)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))


class Quote(SQLModel, table=True):
    """A price an agent attached to a case, for the customer to approve or decline."""

    __tablename__ = "quote"
    __table_args__ = (Index("ix_quote_case", "case_id", "id"),)

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    case_id: int = Field(sa_type=BIG_ID, foreign_key="case.id")
    #: in cents of ``currency`` (whole numbers: no rounding on either database)
    amount_cents: int = Field(sa_type=BIG_ID)
    currency: str = Field(default="EUR", max_length=3)
    description: str = Field(default="")
    status: str = Field(default="pending", max_length=16)
    created_by: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    decided_at: datetime | None = Field(default=None, sa_column=utc_column())


class PortalFile(SQLModel, table=True):
    """A file a customer added to a case in the portal (kept in the database)."""

    __tablename__ = "portal_file"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    case_id: int = Field(sa_type=BIG_ID, foreign_key="case.id", index=True)
    interaction_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="interaction.id")
    name: str = Field(max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=255)
    size: int = Field(sa_type=BIG_ID)
    data: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class SurveyAnswer(SQLModel, table=True):
    """The customer's one answer to the satisfaction survey of a closed case (1–5)."""

    __tablename__ = "survey_answer"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    case_id: int = Field(sa_type=BIG_ID, foreign_key="case.id", unique=True)
    contact_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="contact.id")
    score: int = Field(sa_type=SmallInteger)
    comment: str = Field(default="")
    answered_at: datetime = Field(sa_column=utc_column(nullable=False))
