"""Interactions: the front office's contact moments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from casedesk.models.base import BIG_ID, json_column, utc_column


class Interaction(SQLModel, table=True):
    """One call, e-mail, visit, letter, chat or web contact, optionally on a case."""

    __tablename__ = "interaction"
    __table_args__ = (
        Index("ix_interaction_contact", "contact_id", "started_at"),
        Index("ix_interaction_agent", "agent_id", "started_at"),
        Index("ix_interaction_case", "case_id", "started_at"),
        # the reports (migration 0010)
        Index("ix_interaction_calls", "channel", "typification", "started_at",
              "duration_seconds", "wrap_seconds", "agent_id"),
        Index("ix_interaction_agent_calls", "agent_id", "channel", "started_at",
              "duration_seconds", "wrap_seconds"),
    )

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    channel: str = Field(max_length=16)
    direction: str = Field(default="inbound", max_length=16)
    typification: str = Field(default="query", max_length=32)
    contact_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="contact.id")
    agent_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    case_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="case.id")
    started_at: datetime = Field(sa_column=utc_column(nullable=False))
    duration_seconds: int = Field(default=0)
    #: after-call work: from "end call" until the interaction was saved
    wrap_seconds: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    subject: str = Field(default="", max_length=500)
    notes: str = Field(default="")
    message_id: str | None = Field(default=None, max_length=500, unique=True)
    in_reply_to: str | None = Field(default=None, max_length=500)
    email_from: str | None = Field(default=None, max_length=500)
    email_to: str | None = Field(default=None, max_length=2000)
    attachments: list[dict[str, Any]] | None = Field(default=None, sa_column=json_column())
    external_id: str | None = Field(default=None, max_length=128, unique=True)
    extras: dict[str, Any] | None = Field(default=None, sa_column=json_column())
