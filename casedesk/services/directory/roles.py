"""PostgreSQL login roles for agents: who may connect, and as which group.

On a shared PostgreSQL each agent is a LOGIN role named exactly ``agent.login``, a member
of the one group role matching ``agent.role`` (``casedesk_agent`` ⊂ ``casedesk_supervisor``
⊂ ``casedesk_admin``, migration 0005); admins' roles also get CREATEROLE so that they can
add agents. The grants and row-level security that give the groups their rights are the
database's (migration 0006).

Roles belong to the whole server, not to one database: another casedesk database on the
same server may have created the role already, so every function here is idempotent and
adopts an existing role — unless it means something else (a superuser, a group role, one
of casedesk's own groups), which is refused in one line.

Passwords are hashed by libpq on this side (``PQencryptPasswordConn``, the server's
``password_encryption``) and sent as a literal hash: the plain password never reaches the
server, its log, SQLAlchemy's echo or casedesk's config. Everything here runs inside the
caller's transaction (CREATE ROLE and GRANT are transactional on PostgreSQL), through the
psycopg connection underneath the session, identifiers quoted with ``sql.Identifier``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlmodel import Session

from casedesk.errors import ConflictError, PermissionDenied, ValidationError
from casedesk.i18n import N_, _
from casedesk.models import Role

#: The group role of each casedesk role.
GROUPS: dict[str, str] = {
    Role.agent.value: "casedesk_agent",
    Role.supervisor.value: "casedesk_supervisor",
    Role.admin.value: "casedesk_admin",
}
#: The most characters a password may have (libpq and the server take far more; a
#: pasted key file is a mistake).
MAX_PASSWORD = 1000

NO_CREATEROLE = N_("only an admin's role may add agents: connect as an admin")
_NO_ALTER = N_("only an admin's role may change agents' database roles: connect as an admin")


@dataclass(frozen=True)
class RoleState:
    """What the server knows about one role."""

    name: str
    superuser: bool
    can_login: bool
    create_role: bool
    #: The casedesk groups it is a direct member of.
    groups: frozenset[str]


def check_password(password: str) -> str:
    """``password`` if a role may have it; else one ValidationError line (never quoting it)."""
    if not password:
        raise ValidationError(_("the password is empty: give one, or use --no-password"))
    if "\x00" in password:
        raise ValidationError(
            _("the password contains a NUL character, which PostgreSQL refuses"))
    if len(password) > MAX_PASSWORD:
        raise ValidationError(_("the password is longer than {max} characters").format(
            max=MAX_PASSWORD))
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("the password contains broken Unicode")) from None
    return password


def _raw(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session, in the session's transaction."""
    driver = session.connection().connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def role_state(session: Session, name: str) -> RoleState | None:
    """The role ``name`` as the server has it, or None when there is none."""
    with _raw(session).cursor() as cur:
        cur.execute(
            "SELECT r.rolsuper, r.rolcanlogin, r.rolcreaterole, "
            " ARRAY(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            "       WHERE m.member = r.oid AND g.rolname = ANY(%s)) "
            "FROM pg_roles r WHERE r.rolname = %s",
            (list(GROUPS.values()), name),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return RoleState(name, bool(row[0]), bool(row[1]), bool(row[2]), frozenset(row[3] or ()))


def _other_meaning(state: RoleState) -> str | None:
    """Why an existing role cannot be an agent's login, or None."""
    what = None
    if state.name in GROUPS.values() or state.name.startswith("pg_"):
        what = _("a group role of the server or of casedesk")
    elif state.superuser:
        what = _("a superuser")
    elif not state.can_login and not state.groups:
        what = _("a group role (it cannot log in and is in no casedesk group)")
    if what is None:
        return None
    return _(
        "a PostgreSQL role {role} already exists as {what}: roles belong to the whole "
        "server; pick another login"
    ).format(role=repr(state.name), what=what)


def _run(
    session: Session,
    statement: sql.Composed,
    *,
    savepoint: bool = False,
    refused: str = _NO_ALTER,
) -> bool:
    """Run one role statement; ``savepoint``: a concurrent creation of the same role or
    membership (another database's ``agent add``) is absorbed, returning False."""
    conn = _raw(session)
    try:
        with conn.cursor() as cur:
            if savepoint:
                cur.execute("SAVEPOINT casedesk_role")
            cur.execute(statement)
            if savepoint:
                cur.execute("RELEASE SAVEPOINT casedesk_role")
    except psycopg.errors.InsufficientPrivilege:
        raise PermissionDenied(_(refused)) from None
    except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation,
            psycopg.errors.InternalError):
        if not savepoint:
            raise
        with conn.cursor() as cur:
            cur.execute("ROLLBACK TO SAVEPOINT casedesk_role")
        return False
    return True


def _hashed(session: Session, login: str, password: str) -> bytes:
    """The password as the server would store it (SCRAM or MD5, per its settings)."""
    pgconn = _raw(session).pgconn
    return pgconn.encrypt_password(check_password(password).encode(), login.encode())


def ensure_login_role(
    session: Session, login: str, role: str, password: str | None = None
) -> None:
    """Make ``login`` a LOGIN role in the group of ``role`` (created with ``password``, or
    without one for trust/peer/LDAP setups); an existing role is adopted (its password
    left unless one is given)."""
    if role not in GROUPS:
        raise ValidationError(_("role {role} is not one of {roles}").format(
            role=repr(role), roles=", ".join(GROUPS)))
    name = sql.Identifier(login)
    state = role_state(session, login)
    if state is None:
        statement = sql.SQL("CREATE ROLE {} LOGIN").format(name)
        if password is not None:
            statement = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                name, sql.Literal(_hashed(session, login, password).decode())
            )
        if _run(session, statement, savepoint=True, refused=NO_CREATEROLE):
            password = None  # set with the role
        state = role_state(session, login)
        assert state is not None, "the role was just created"
    refusal = _other_meaning(state)
    if refusal:
        raise ConflictError(refusal)
    if not state.can_login:
        _run(session, sql.SQL("ALTER ROLE {} LOGIN").format(name))
    _join_group(session, state, role)
    if password is not None:
        set_role_password(session, login, password)


def _join_group(session: Session, state: RoleState, role: str) -> None:
    """Exactly one casedesk group, the one of ``role``; CREATEROLE for admins only."""
    name = sql.Identifier(state.name)
    wanted = GROUPS[role]
    for group in sorted(state.groups - {wanted}):
        _run(session, sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(group), name))
    if wanted not in state.groups:
        _run(session, sql.SQL("GRANT {} TO {}").format(sql.Identifier(wanted), name),
             savepoint=True)
    admin = role == Role.admin.value
    if admin != state.create_role:
        attribute = sql.SQL("CREATEROLE" if admin else "NOCREATEROLE")
        _run(session, sql.SQL("ALTER ROLE {} {}").format(name, attribute))


def set_group(session: Session, login: str, role: str) -> None:
    """After a role change: the login role joins the new group (if it has a role)."""
    state = role_state(session, login)
    if state is not None and _other_meaning(state) is None:
        _join_group(session, state, role)


def set_role_password(session: Session, login: str, password: str) -> None:
    """``ALTER ROLE … PASSWORD`` with the hash as a literal (the password itself never
    leaves this process)."""
    if role_state(session, login) is None:
        raise ValidationError(
            _("agent {login} has no PostgreSQL role yet: an admin runs `casedesk agent add` "
              "for them again").format(login=repr(login))
        )
    hashed = _hashed(session, login, password).decode()
    _run(session, sql.SQL("ALTER ROLE {} PASSWORD {}").format(
        sql.Identifier(login), sql.Literal(hashed)
    ))


def set_login(session: Session, login: str, allowed: bool) -> None:
    """LOGIN or NOLOGIN (``agent disable``); an agent without a role is left alone."""
    state = role_state(session, login)
    if state is None or state.can_login == allowed or _other_meaning(state):
        return
    attribute = sql.SQL("LOGIN" if allowed else "NOLOGIN")
    _run(session, sql.SQL("ALTER ROLE {} {}").format(sql.Identifier(login), attribute))


# --- who am I (``casedesk db info``) ---------------------------------------------------


@dataclass(frozen=True)
class ConnectionRights:
    """The connected role, its group and team, and what the database lets it do."""

    role: str | None
    #: agent, supervisor or admin (the casedesk group it is in), "owner" or "superuser"
    #: for the database's own roles, None for a role casedesk does not know.
    group: str | None
    agent: str | None
    team: str | None
    #: Plain sentences: "read cases", "change cases", "write the configuration" …
    may: list[str]


#: (table, privilege, what it means) for the sentences of :class:`ConnectionRights`.
_PRIVILEGES = (
    ("case", "SELECT", N_("read cases")),
    ("case", "UPDATE", N_("change cases (of its queues and its own bin)")),
    ("sla_policy", "INSERT", N_("write the configuration (policies, calendars, rules)")),
    ("queue", "INSERT", N_("add queues")),
    ("agent", "INSERT", N_("add and change agents")),
    ("case_event", "DELETE", N_("delete case events (the database owner only)")),
)


def connection_rights(engine: Any) -> ConnectionRights:
    """What ``db info`` says about who you are. SQLite: nobody logs in; everything."""
    from sqlalchemy import text

    from casedesk.db import connect, is_sqlite, may_run_clock

    if is_sqlite(engine):
        return ConnectionRights(None, None, None, None,
                                [_("everything (a SQLite file is one person's desk)")])
    with connect(engine) as conn:
        row = conn.execute(text(
            "SELECT session_user, r.rolsuper, r.rolbypassrls,"
            " CASE WHEN to_regrole('casedesk_admin') IS NULL THEN NULL"
            "  WHEN pg_has_role(session_user, 'casedesk_admin', 'MEMBER') THEN 'admin'"
            "  WHEN pg_has_role(session_user, 'casedesk_supervisor', 'MEMBER') THEN 'supervisor'"
            "  WHEN pg_has_role(session_user, 'casedesk_agent', 'MEMBER') THEN 'agent' END,"
            " pg_has_role(session_user, (SELECT relowner FROM pg_class"
            "   WHERE oid = to_regclass('public.\"case\"')), 'USAGE'),"
            " r.rolcreaterole"
            " FROM pg_roles r WHERE r.rolname = session_user"
        )).one()
        role, superuser, bypass, group, owner, createrole = row
        may = []
        for table, privilege, words in _PRIVILEGES:
            allowed = conn.execute(
                text("SELECT to_regclass(:t) IS NOT NULL AND has_table_privilege(:t, :p)"),
                {"t": f'public."{table}"', "p": privilege},
            ).scalar()
            if allowed and (table != "agent" or createrole or superuser):
                may.append(_(words))
        readable = conn.execute(text(
            "SELECT to_regclass('public.team') IS NOT NULL"
            " AND has_table_privilege('public.agent', 'SELECT')"
            " AND has_table_privilege('public.team', 'SELECT')"
        )).scalar()
        agent_row = conn.execute(text(
            "SELECT a.login, t.name FROM agent a LEFT JOIN team t ON t.id = a.team_id"
            " WHERE a.login = session_user"
        )).first() if readable else None
    if superuser:
        group = "superuser"
    elif owner and group is None:
        group = "owner"
    agent, team = (agent_row[0], agent_row[1]) if agent_row else (None, None)
    if superuser or bypass or owner or group == "admin":
        may.append(_("see every team's cases and customers"))
    elif team:
        may.append(_("see only what team {team}'s queues reach").format(team=team))
    elif group is not None:
        may.append(_("see the desk's own queues (not the teams')"))
    if may_run_clock(engine):
        may.append(_("run the SLA clock"))
    return ConnectionRights(str(role), group, agent, team, may)
