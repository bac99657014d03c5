"""Agents, queues and queue membership."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from casedesk.models.base import BIG_ID, json_column, utc_column


class Agent(SQLModel, table=True):
    """A person at a terminal: role, skills, capacity and availability."""

    __tablename__ = "agent"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    role: str = Field(default="agent", max_length=16)
    skills: list[str] | None = Field(default=None, sa_column=json_column())
    capacity: int = Field(default=10)
    status: str = Field(default="available", max_length=16)
    #: When ``status`` last changed (presence: "away since 10:42").
    status_at: datetime | None = Field(default=None, sa_column=utc_column())
    #: The agent's team (None: the desk's own staff).
    team_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="team.id", index=True)
    timezone: str = Field(default="Europe/Madrid", max_length=64)
    active: bool = Field(default=True)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())


class Team(SQLModel, table=True):
    """A group of agents and the queues they work (e.g. an outsourced partner). On
    PostgreSQL a team's agents and supervisors see only what its queues reach."""

    __tablename__ = "team"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    description: str | None = Field(default=None, max_length=500)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())


class Queue(SQLModel, table=True):
    """A shared work queue, usually one per department or area."""

    __tablename__ = "queue"

    id: int | None = Field(sa_type=BIG_ID, default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    area: str = Field(default="general", max_length=32)
    description: str | None = Field(default=None, max_length=500)
    created_at: datetime | None = Field(default=None, sa_column=utc_column())
    #: How a routed case picks an agent: a :class:`~casedesk.models.base.Strategy` value.
    strategy: str = Field(default="manual", max_length=16)
    #: Round robin's cursor: the agent the queue last gave a case to.
    last_assigned_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="agent.id")
    #: The team that owns this queue (None: the desk's own, seen by everyone not in a team).
    team_id: int | None = Field(sa_type=BIG_ID, default=None, foreign_key="team.id", index=True)


class QueueMember(SQLModel, table=True):
    """An agent's membership of a queue (members may accept and take its cases)."""

    __tablename__ = "queue_member"

    queue_id: int = Field(
        sa_type=BIG_ID, foreign_key="queue.id", primary_key=True, ondelete="CASCADE"
    )
    agent_id: int = Field(
        sa_type=BIG_ID, foreign_key="agent.id", primary_key=True, ondelete="CASCADE", index=True
    )
