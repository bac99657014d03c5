"""What every service call needs: the database, the clock, and who is acting."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, event, select, text
from sqlmodel import Session, col

from casedesk.clock import Clock, system_clock
from casedesk.config import DEFAULT_REOPEN_DAYS
from casedesk.db import connect, is_sqlite, read_session
from casedesk.errors import ConfigError, NotFound, PermissionDenied, ValidationError
from casedesk.i18n import _, pgettext
from casedesk.labels import NP_, label
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

    #: The PostgreSQL role this desk is connected as (``session_user``), once asked.
    _session_role: str | None = field(default=None, repr=False, compare=False)
    #: The login an admin acts as (``--as`` on PostgreSQL), set on every connection.
    acting_as: str | None = field(default=None, repr=False, compare=False)

    def now(self) -> datetime:
        return self.clock.now()

    @property
    def shared(self) -> bool:
        """A shared database (PostgreSQL): the acting agent is the connected role."""
        return not is_sqlite(self.engine)

    def session_role(self) -> str | None:
        """The connected PostgreSQL role (``session_user``: the real login, whoever it acts
        as); None on SQLite, where nobody logs in."""
        if not self.shared:
            return None
        if self._session_role is None:
            with connect(self.engine) as conn:
                self._session_role = str(conn.execute(text("SELECT session_user")).scalar_one())
        return self._session_role

    def role_is_admin(self) -> bool:
        """Whether the connected role may act as others (a member of ``casedesk_admin``,
        or a superuser); False on SQLite."""
        if not self.shared:
            return False
        with connect(self.engine) as conn:
            return bool(conn.execute(text(
                "SELECT CASE WHEN to_regrole('casedesk_admin') IS NULL"
                " THEN (SELECT rolsuper FROM pg_roles WHERE rolname = session_user)"
                " ELSE pg_has_role(session_user, 'casedesk_admin', 'MEMBER') END"
            )).scalar())

    def identify(self, claimed: str | None) -> Actor:
        """Who acts on a shared database: the agent whose login is the connected role.

        ``claimed`` (``--as``, ``CASEDESK_AGENT``) is ignored when it names that role, and
        otherwise allowed only to an admin's role (impersonation: :meth:`act_as`, recorded
        on every event as ``via``); anyone else gets one ConfigError line. On SQLite the
        claim is the identity, as it always was (one person's file).
        """
        if not self.shared:
            if not claimed:
                raise ConfigError(_("who is acting? pass --as LOGIN or set CASEDESK_AGENT"))
            return self.actor(claimed)
        role = self.session_role() or ""
        if claimed and claimed != role:
            if not self.role_is_admin():
                raise ConfigError(
                    _("--as on a shared database is for admins: connect as yourself "
                      "(user={login} in the database URL)").format(login=claimed)
                )
            actor = self.actor(claimed)
            self.act_as(claimed)
            return actor
        try:
            return self.actor(role)
        except NotFound:
            raise ConfigError(
                _("you are connected as the PostgreSQL role {role}, which is not a casedesk "
                  "agent: connect as your own login (user=LOGIN in the database URL) or ask an "
                  "admin to run `casedesk agent add {login}`").format(role=repr(role), login=role)
            ) from None

    def act_as(self, login: str) -> None:
        """Every connection from now on says it acts as ``login`` (``SET casedesk.acting_as``);
        the database honours it only for an admin's role. Pooled connections are dropped so
        that none is left without the setting."""
        if not self.shared or self.acting_as == login:
            return
        first = self.acting_as is None
        self.acting_as = login
        if first:
            event.listen(self.engine, "connect", self._set_acting_as)
        self.engine.dispose()

    def _set_acting_as(self, dbapi_connection: Any, _record: Any) -> None:
        from psycopg import sql  # PostgreSQL only: the SQLite path never gets here

        cursor = dbapi_connection.cursor()
        cursor.execute(
            sql.SQL("SELECT set_config('casedesk.acting_as', {}, false)").format(
                sql.Literal(self.acting_as or "")
            )
        )
        cursor.close()
        dbapi_connection.commit()

    def actor(self, login: str) -> Actor:
        """Look up the acting agent by login; unknown or inactive logins are refused."""
        with read_session(self.engine) as session:
            agent = session.execute(
                select(Agent).where(col(Agent.login) == login)
            ).scalar_one_or_none()
        if agent is None:
            raise NotFound(_("no agent with login {login}: see `casedesk agent list`").format(
                login=repr(login)))
        if not agent.active:
            raise PermissionDenied(_("agent {login} is deactivated").format(login=repr(login)))
        return Actor(saved_id(agent.id), agent.login, agent.name, agent.role)


# --- ids ---------------------------------------------------------------------------

#: What :func:`storable_id` is told it looks for, with its article ("the contact").
_RECORDS: dict[str, tuple[str, str]] = {
    "account": NP_("record", "account"),
    "agent": NP_("record", "agent"),
    "contact": NP_("record", "contact"),
    "contract": NP_("record", "contract"),
    "contract line": NP_("record", "contract line"),
    "interaction": NP_("record", "interaction"),
    "queue": NP_("record", "queue"),
    "task": NP_("record", "task"),
    "article": NP_("record", "article"),
    "case": NP_("record", "case"),
    "team": NP_("record", "team"),
    "template": NP_("record", "template"),
    "routing rule": NP_("record", "routing rule"),
}


def record_word(what: str) -> str:
    """``contact`` in the reader's language, as "no {record} 5" names it."""
    known = _RECORDS.get(what)
    return pgettext(*known) if known else what


def storable_id(value: int, what: str) -> int:
    """``value`` if a database can hold it as an id (1 … 2**63 - 1); else NotFound.

    Both databases store 64-bit ids: a larger Python int would raise OverflowError on
    SQLite and "integer out of range" on PostgreSQL instead of simply finding nothing.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(_("{record} {value} is not a number").format(
            record=record_word(what), value=repr(value)[:30]))
    if not 0 < value <= MAX_ID:
        raise NotFound(_("no {record} {id}").format(
            record=record_word(what), id=shown_number(value)))
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
        return _("contains a NUL character (\\x00)")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _("contains broken Unicode (an unpaired surrogate)")
    return None


def storable(text: str, field: str, max_length: int | None = None) -> str:
    """``text`` unchanged if it can be stored (and fits ``max_length`` characters, the
    column's size); else ValidationError naming ``field`` (marked ``N_("the note")`` by
    the caller, translated here)."""
    why = unstorable(text)
    if why:
        raise ValidationError(_("{field} {why}: remove it and try again").format(
            field=_(field) if field else field, why=why))
    if max_length is not None and len(text) > max_length:
        raise ValidationError(_("{field} is {length} characters long; {limit} at most").format(
            field=_(field) if field else field, length=f"{len(text):,}", limit=max_length))
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
        if lock and session.get_bind().dialect.name != "sqlite" and session.execute(
            select(col(Case.id)).where(col(Case.number) == num)
        ).first() is not None:
            # Row security lets this role see the case but not change it (a locking read
            # is filtered by the update policy): say so rather than "no case".
            raise PermissionDenied(
                _("{case} is not yours to change: only its owner, a member of its "
                  "queue or a supervisor of its team may").format(case=case_label(num))
            )
        raise NotFound(_("no case {case}").format(case=case_label(num)))
    return case


def load_queue(session: Session, name_or_id: str | int) -> Queue:
    if isinstance(name_or_id, int):
        queue = session.get(Queue, storable_id(name_or_id, "queue"))
    else:
        queue = session.execute(
            select(Queue).where(col(Queue.name) == name_or_id)
        ).scalar_one_or_none()
    if queue is None:
        raise NotFound(_("no queue {queue}: see `casedesk queue list`").format(
            queue=repr(name_or_id)))
    return queue


def load_agent(session: Session, login_or_id: str | int) -> Agent:
    if isinstance(login_or_id, int):
        agent = session.get(Agent, storable_id(login_or_id, "agent"))
    else:
        agent = session.execute(
            select(Agent).where(col(Agent.login) == login_or_id)
        ).scalar_one_or_none()
    if agent is None:
        raise NotFound(_("no agent {login}: see `casedesk agent list`").format(
            login=repr(login_or_id)))
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
        raise PermissionDenied(
            _("only supervisors may {action}; {login} is an {role}").format(
                action=_(what), login=actor.login, role=label("role", actor.role)))
