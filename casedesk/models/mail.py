"""Mail the desk sends: the outbox, written in the transaction of the action that sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from casedesk.models.base import BIG_ID, utc_column

#: what a queued mail is for (``outbox.kind``)
OUTBOX_KINDS = ("ack", "article", "reply", "resolution", "survey", "portal_link")
#: where a queued mail is (``outbox.status``)
OUTBOX_STATUSES = ("pending", "sending", "delivered", "failed")


class OutboxMessage(SQLModel, table=True):
    """One mail to deliver. ``pending`` → ``sending`` (claimed: ``next_attempt_at`` is then
    the end of the sender's lease) → ``delivered`` or ``failed``, or back to ``pending``
    with a later ``next_attempt_at`` after a temporary failure. NULL ``next_attempt_at``
    on a pending mail: due at once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    case_id: int | None = Field(
        sa_type=BIG_ID, default=None, foreign_key="case.id", index=True
    )
    kind: str = Field(max_length=16)
    to_address: str = Field(max_length=500)
    subject: str = Field(max_length=500)
    body: str = Field(default="")
    message_id: str = Field(max_length=500, unique=True)
    in_reply_to: str | None = Field(default=None, max_length=500)
    references: str | None = Field(default=None)
    status: str = Field(default="pending", max_length=16)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_column=utc_column())
    last_error: str | None = Field(default=None)
    #: who holds the claim while ``sending`` (``host:pid``), for the operator
    claimed_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
