"""What every service call needs: the database, the clock, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from casedesk.clock import Clock, system_clock
from casedesk.config import DEFAULT_REOPEN_DAYS
from casedesk.db import read_session
from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.models import Agent, Case, Queue, QueueMember, Role
from casedesk.models.base import MAX_ID, saved_id
from casedesk.services.numbers import case_label, parse_case_number, shown_number


@dataclass(frozen=True)
class Actor:
    """The acting agent, as every service call receives it."""

    id: int
    login: str
    name: str
    role: str

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.supervisor, Role.admin)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.admin


@dataclass
class Desk:
    """The service layer's handle: an engine and a clock. Cheap; share it across threads."""

    engine: Engine
    clock: Clock = field(default=system_clock)
    #: Days after closing within which an agent (not only a supervisor) may reopen a case.
    reopen_days: int = DEFAULT_REOPEN_DAYS
    #: Going offline returns the agent's untouched cases to their queues.
    offline_returns_cases: bool = True

    def now(self) -> datetime:
        return self.clock.now()

    def actor(self, login: str) -> Actor:
        """Look up the acting agent by login; unknown or inactive logins are refused."""
        with read_session(self.engine) as session:
            agent = session.execute(
                select(Agent).where(col(Agent.login) == login)
            ).scalar_one_or_none()
        if agent is None:
            raise NotFound(f"no agent with login {login!r}: see `casedesk agent list`")
        if not agent.active:
            raise PermissionDenied(f"agent {login!r} is deactivated")
        return Actor(saved_id(agent.id), agent.login, agent.name, agent.role)


# --- ids ---------------------------------------------------------------------------


def storable_id(value: int, what: str) -> int:
    """``value`` if a database can hold it as an id (1 … 2**63 - 1); else NotFound.

    Both databases store 64-bit ids: a larger Python int would raise OverflowError on
    SQLite and "integer out of range" on PostgreSQL instead of simply finding nothing.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} {repr(value)[:30]} is not a number")
    if not 0 < value <= MAX_ID:
        raise NotFound(f"no {what} {shown_number(value)}")
    return value


def in_id_range(value: int) -> bool:
    """True when ``value`` fits an id column (1 … 2**63 - 1)."""
    return 0 < value <= MAX_ID


def contains_pattern(text: str) -> str:
    """A LIKE/ILIKE pattern matching ``text`` anywhere, its ``%``, ``_`` and ``\\`` literal.

    Use it with ``escape="\\"``: ``column.ilike(contains_pattern(text), escape="\\")``.
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


#: The escape character of :func:`contains_pattern`.
LIKE_ESCAPE = "\\"


# --- text that both databases can store ---------------------------------------------


def unstorable(text: str) -> str | None:
    """Why ``text`` cannot be stored on both databases, or None.

    PostgreSQL text holds no NUL character, and no database holds a lone surrogate
    (broken UTF-16 from a file or a terminal) as UTF-8. Everything else is stored
    exactly as it arrived; showing it safely is the screens' and the CLI's job.
    """
    if "\x00" in text:
        return "contains a NUL character (\\x00)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains broken Unicode (an unpaired surrogate)"
    return None


def storable(text: str, field: str, max_length: int | None = None) -> str:
    """``text`` unchanged if it can be stored (and fits ``max_length`` characters, the
    column's size); else ValidationError naming ``field``."""
    why = unstorable(text)
    if why:
        raise ValidationError(f"{field} {why}: remove it and try again")
    if max_length is not None and len(text) > max_length:
        raise ValidationError(f"{field} is {len(text):,} characters long; {max_length} at most")
    return text


def searchable(text: str) -> str:
    """Search-box text without what no stored value can contain (NUL, lone surrogates)."""
    if unstorable(text) is None:
        return text
    return text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")


# --- lookups shared by the services ------------------------------------------------


def load_case(session: Session, number: int | str, *, lock: bool = False) -> Case:
    """The case with that number. ``lock`` takes its row lock first (PostgreSQL; SQLite's
    write transactions are serial already), for appends that must see the latest row."""
    num = parse_case_number(number)
    stmt = select(Case).where(col(Case.number) == num)
    if lock and session.get_bind().dialect.name != "sqlite":
        # NO KEY UPDATE: it does not wait for the KEY SHARE locks that inserts of rows
        # referencing the case (events, interactions, time entries) hold.
        stmt = stmt.with_for_update(key_share=True).execution_options(populate_existing=True)
    case: Case | None = session.execute(stmt).scalar_one_or_none()
    if case is None:
        raise NotFound(f"no case {case_label(num)}")
    return case


def load_queue(session: Session, name_or_id: str | int) -> Queue:
    if isinstance(name_or_id, int):
        queue = session.get(Queue, storable_id(name_or_id, "queue"))
    else:
        queue = session.execute(
            select(Queue).where(col(Queue.name) == name_or_id)
        ).scalar_one_or_none()
    if queue is None:
        raise NotFound(f"no queue {name_or_id!r}: see `casedesk queue list`")
    return queue


def load_agent(session: Session, login_or_id: str | int) -> Agent:
    if isinstance(login_or_id, int):
        agent = session.get(Agent, storable_id(login_or_id, "agent"))
    else:
        agent = session.execute(
            select(Agent).where(col(Agent.login) == login_or_id)
        ).scalar_one_or_none()
    if agent is None:
        raise NotFound(f"no agent {login_or_id!r}: see `casedesk agent list`")
    return agent


def is_member(session: Session, agent_id: int, queue_id: int | None) -> bool:
    if queue_id is None:
        return False
    row = session.execute(
        select(col(QueueMember.agent_id)).where(
            col(QueueMember.queue_id) == queue_id, col(QueueMember.agent_id) == agent_id
        )
    ).first()
    return row is not None


def require_supervisor(actor: Actor, what: str) -> None:
    if not actor.is_supervisor:
        raise PermissionDenied(f"only supervisors may {what}; {actor.login} is an {actor.role}")
