"""the database refuses what a role may not do: grants, row-level security, triggers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:00:00

PostgreSQL only (SQLite is one person's file: nothing changes there). See docs/security.md.

- Grants to the group roles of 0005: ``casedesk_agent`` reads everything and writes what
  agents do through the services (cases, tasks, interactions, time, events, customers,
  articles, the counters, presence, the round-robin cursor); ``casedesk_supervisor`` adds
  the configuration tables; ``casedesk_admin`` adds agents and teams. Nobody but the owner
  (the role that ran the migrations) may UPDATE or DELETE a case event.
- Row-level security (ENABLE, not FORCE: the owner and superusers are not affected) on
  case, task, case_event, time_entry, article_link, interaction, contact, account: a team
  sees what its queues and its members reach; admins see all.
- ``case``: an agent changes only cases in their bin or in a queue they belong to; a
  trigger refuses owner changes other than accept, dispatch and reject unless the session
  is a supervisor of the agents involved. ``case_event``: a trigger refuses events in the
  name of another agent except from admins, and records the admin in ``via_id``.
- ``agent``: anybody may read; admins write; presence changes only your own row
  (supervisors: their team's).
- Existing agents get a LOGIN role named like their login (no password) in the group of
  their role, if the cluster does not have one yet.

Every helper function has a fixed ``search_path`` (pg_temp last): the policies trust what
they return, and a temporary table named ``agent`` must not change the answer.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PATH = "SET search_path = pg_catalog, public, pg_temp"

#: (name, arguments, result, body, security definer?) of the SQL helpers the policies call.
_FUNCTIONS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("casedesk_is", "grp text", "boolean",
     "SELECT pg_has_role(session_user, grp, 'MEMBER')", False),
    ("casedesk_agent_id", "", "bigint",
     "SELECT id FROM agent WHERE login = session_user::text", False),
    ("casedesk_team_id", "", "bigint",
     "SELECT team_id FROM agent WHERE login = session_user::text", False),
    # a login with an agent row and no team: the desk's own staff
    ("casedesk_desk_staff", "", "boolean",
     "SELECT EXISTS (SELECT 1 FROM agent WHERE login = session_user::text "
     "AND team_id IS NULL)", False),
    # queues of my team (the desk's own queues for desk staff); none without an agent row
    ("casedesk_seen_queues", "", "bigint[]",
     "SELECT coalesce(array_agg(q.id), '{}') FROM agent a "
     "JOIN queue q ON q.team_id IS NOT DISTINCT FROM a.team_id "
     "WHERE a.login = session_user::text", False),
    ("casedesk_seen_agents", "", "bigint[]",
     "SELECT coalesce(array_agg(o.id), '{}') FROM agent a "
     "JOIN agent o ON o.team_id IS NOT DISTINCT FROM a.team_id "
     "WHERE a.login = session_user::text", False),
    ("casedesk_my_queues", "", "bigint[]",
     "SELECT coalesce(array_agg(m.queue_id), '{}') FROM agent a "
     "JOIN queue_member m ON m.agent_id = a.id WHERE a.login = session_user::text", False),
    # the owner, superusers and BYPASSRLS roles: row-level security does not apply to them
    ("casedesk_trusted", "", "boolean",
     "SELECT coalesce((SELECT rolsuper OR rolbypassrls FROM pg_roles "
     "WHERE rolname = current_user), false) OR coalesce((SELECT pg_has_role(current_user, "
     "relowner, 'USAGE') FROM pg_class WHERE oid = 'public.case'::regclass), false)", False),
    # a customer nobody's case or interaction names yet is everyone's (a new caller);
    # these look past row-level security (they run as the owner) and say only yes or no
    ("casedesk_contact_in_use", "contact bigint", "boolean",
     'SELECT EXISTS (SELECT 1 FROM "case" WHERE contact_id = contact) '
     "OR EXISTS (SELECT 1 FROM interaction WHERE contact_id = contact)", True),
    ("casedesk_account_in_use", "account bigint", "boolean",
     'SELECT EXISTS (SELECT 1 FROM "case" WHERE account_id = account) '
     "OR EXISTS (SELECT 1 FROM contact WHERE account_id = account)", True),
)

_ADMIN = "(SELECT casedesk_is('casedesk_admin'))"
_SUPERVISOR = "(SELECT casedesk_is('casedesk_supervisor'))"
_ME = "(SELECT casedesk_agent_id())"
_SEEN_AGENTS = "(SELECT casedesk_seen_agents())::bigint[]"


def _sees_case(t: str) -> str:
    """The case row ``t`` is within the session's reach (one pass over the row's ids)."""
    return (
        f"({_ADMIN} OR {t}.queue_id = ANY ((SELECT casedesk_seen_queues())::bigint[]) "
        f"OR {t}.owner_id = ANY ({_SEEN_AGENTS}) OR {t}.creator_id = ANY ({_SEEN_AGENTS}) "
        f"OR ({t}.queue_id IS NULL AND {t}.owner_id IS NULL AND {t}.creator_id IS NULL "
        "AND (SELECT casedesk_desk_staff())))"
    )


def _case_exists(t: str) -> str:
    """The row's case is visible (the case's own policy filters the sub-select)."""
    return f'EXISTS (SELECT 1 FROM "case" c WHERE c.id = {t}.case_id)'


_CASE_SEEN = _sees_case('"case"')
_CASE_CHANGE = (
    f"{_CASE_SEEN} AND ({_SUPERVISOR} OR \"case\".owner_id = {_ME} "
    "OR \"case\".queue_id = ANY ((SELECT casedesk_my_queues())::bigint[]))"
)
_CASE_CREATE = (
    f"{_CASE_SEEN} AND (\"case\".owner_id IS NULL OR \"case\".owner_id = {_ME} OR {_SUPERVISOR} "
    "OR EXISTS (SELECT 1 FROM queue_member m WHERE m.queue_id = \"case\".queue_id "
    "AND m.agent_id = \"case\".owner_id))"
)
_TASK_SEEN = (
    f"({_ADMIN} OR (task.case_id IS NOT NULL AND {_case_exists('task')}) "
    f"OR (task.case_id IS NULL AND (task.assignee_id IS NULL "
    f"OR task.assignee_id = ANY ({_SEEN_AGENTS}))))"
)
_INTERACTION_SEEN = (
    f"({_ADMIN} OR (interaction.case_id IS NOT NULL AND {_case_exists('interaction')}) "
    f"OR interaction.agent_id = ANY ({_SEEN_AGENTS}) "
    "OR (interaction.case_id IS NULL AND interaction.agent_id IS NULL "
    "AND (SELECT casedesk_desk_staff())))"
)
_CONTACT_SEEN = (
    f'({_ADMIN} OR EXISTS (SELECT 1 FROM "case" c WHERE c.contact_id = contact.id) '
    "OR EXISTS (SELECT 1 FROM interaction i WHERE i.contact_id = contact.id) "
    "OR NOT casedesk_contact_in_use(contact.id))"
)
_ACCOUNT_SEEN = (
    f'({_ADMIN} OR EXISTS (SELECT 1 FROM "case" c WHERE c.account_id = account.id) '
    "OR EXISTS (SELECT 1 FROM contact k WHERE k.account_id = account.id) "
    "OR NOT casedesk_account_in_use(account.id))"
)

#: table → [(policy, command, USING, WITH CHECK)]
_POLICIES: dict[str, list[tuple[str, str, str | None, str | None]]] = {
    "case": [
        ("case_read", "SELECT", _CASE_SEEN, None),
        ("case_create", "INSERT", None, _CASE_CREATE),
        ("case_change", "UPDATE", _CASE_CHANGE, _CASE_SEEN),
        ("case_admin", "DELETE", _ADMIN, None),
    ],
    **{
        table: [
            (f"{table}_read", "SELECT", f"({_ADMIN} OR {_case_exists(table)})", None),
            (f"{table}_write", "INSERT", None, f"({_ADMIN} OR {_case_exists(table)})"),
            (f"{table}_change", "UPDATE", f"({_ADMIN} OR {_case_exists(table)})",
             f"({_ADMIN} OR {_case_exists(table)})"),
            (f"{table}_remove", "DELETE", f"({_ADMIN} OR {_case_exists(table)})", None),
        ]
        for table in ("case_event", "time_entry", "article_link")
    },
    "task": [
        ("task_read", "SELECT", _TASK_SEEN, None),
        ("task_write", "INSERT", None, _TASK_SEEN),
        ("task_change", "UPDATE", _TASK_SEEN, _TASK_SEEN),
        ("task_remove", "DELETE", _TASK_SEEN, None),
    ],
    "interaction": [
        ("interaction_read", "SELECT", _INTERACTION_SEEN, None),
        ("interaction_write", "INSERT", None, _INTERACTION_SEEN),
        ("interaction_change", "UPDATE", _INTERACTION_SEEN, _INTERACTION_SEEN),
        ("interaction_remove", "DELETE", _INTERACTION_SEEN, None),
    ],
    "contact": [
        ("contact_read", "SELECT", _CONTACT_SEEN, None),
        ("contact_write", "INSERT", None, "true"),
        ("contact_change", "UPDATE", _CONTACT_SEEN, "true"),
        ("contact_remove", "DELETE", _CONTACT_SEEN, None),
    ],
    "account": [
        ("account_read", "SELECT", _ACCOUNT_SEEN, None),
        ("account_write", "INSERT", None, "true"),
        ("account_change", "UPDATE", _ACCOUNT_SEEN, "true"),
        ("account_remove", "DELETE", _ACCOUNT_SEEN, None),
    ],
    "agent": [
        ("agent_read", "SELECT", "true", None),
        ("agent_admin", "ALL", _ADMIN, _ADMIN),  # (permissive checks are OR-ed)
        # presence (column grants keep it to status/status_at): your own row; supervisors
        # their team's. USING true: routing locks candidates' rows (FOR KEY SHARE).
        ("agent_presence", "UPDATE", "true",
         f"(agent.login = session_user::text OR ({_SUPERVISOR} AND agent.team_id IS NOT "
         "DISTINCT FROM (SELECT casedesk_team_id())))"),
    ],
}

# --- grants ---------------------------------------------------------------------------

_AGENT_WRITES = {
    "INSERT, UPDATE": ("case", "task", "interaction", "contact", "account", "article"),
    "INSERT": ("case_event", "time_entry"),
    "INSERT, DELETE": ("article_link",),
    "DELETE": ("article",),  # the author's own drafts (the service checks)
    "UPDATE": ("counter", "contract_line"),  # case/article numbers, entitlements used
}
_AGENT_COLUMNS = {"queue": "last_assigned_id", "agent": "status, status_at"}
_CONFIGURATION = (
    "sla_policy", "business_calendar", "routing_rule", "category_skill", "case_template",
    "queue", "queue_member", "product", "account_product", "contract", "contract_line",
    "counter",
)

_OWNER_TRIGGER = """
CREATE OR REPLACE FUNCTION casedesk_check_owner() RETURNS trigger LANGUAGE plpgsql
{path} AS $$
DECLARE
    me bigint;
    my_team bigint;
BEGIN
    IF casedesk_trusted() OR casedesk_is('casedesk_admin') THEN
        RETURN NEW;
    END IF;
    me := casedesk_agent_id();
    IF OLD.owner_id IS NULL AND NEW.owner_id = me THEN
        RETURN NEW;  -- accept, next
    END IF;
    IF OLD.owner_id = me AND NEW.owner_id IS NULL THEN
        RETURN NEW;  -- dispatch, going offline
    END IF;
    IF OLD.owner_id IS NULL AND NEW.owner_id = NEW.creator_id
            AND OLD.queue_id = ANY (casedesk_my_queues()) THEN
        RETURN NEW;  -- reject: back to the creator's bin
    END IF;
    IF casedesk_is('casedesk_supervisor') THEN
        my_team := casedesk_team_id();
        IF NOT EXISTS (
            SELECT 1 FROM agent a
            WHERE a.id IN (OLD.owner_id, NEW.owner_id)
              AND a.team_id IS DISTINCT FROM my_team
        ) THEN
            RETURN NEW;  -- assign, yank: within the supervisor's team
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
            'case %s: %s may assign and yank only cases of agents in their own team',
            OLD.number, session_user);
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
        'case %s: only a supervisor may give a case to another agent or take it out of '
        'another agent''s bin (%s is not one)', OLD.number, session_user);
END $$
"""

_EVENT_TRIGGER = """
CREATE OR REPLACE FUNCTION casedesk_check_event() RETURNS trigger LANGUAGE plpgsql
{path} AS $$
DECLARE
    me bigint;
BEGIN
    IF casedesk_trusted() THEN
        RETURN NEW;
    END IF;
    me := casedesk_agent_id();
    IF NEW.actor_id IS NULL OR NEW.actor_id IS NOT DISTINCT FROM me THEN
        -- a system event (presence) records who caused it; nobody claims another's "via"
        NEW.via_id := CASE WHEN NEW.actor_id IS NULL THEN me END;
        RETURN NEW;
    END IF;
    IF casedesk_is('casedesk_admin') THEN
        NEW.via_id := me;  -- an admin acting as someone (--as): who really did it
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', MESSAGE = format(
        '%s may not write an event in the name of another agent', session_user);
END $$
"""

_LOGIN_ROLES = """
DO $$
DECLARE
    r record;
    grp text;
BEGIN
    IF NOT (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
        RAISE NOTICE 'casedesk: % may not create roles; agents keep no login role until '
            'an admin adds them', current_user;
        RETURN;
    END IF;
    FOR r IN SELECT login, role FROM agent ORDER BY id LOOP
        CONTINUE WHEN length(r.login) > 63;  -- longer than a PostgreSQL name
        grp := CASE r.role WHEN 'admin' THEN 'casedesk_admin'
                           WHEN 'supervisor' THEN 'casedesk_supervisor'
                           ELSE 'casedesk_agent' END;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.login) THEN
                EXECUTE format('CREATE ROLE %I LOGIN', r.login);
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN NULL;
        END;
        CONTINUE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = r.login);
        BEGIN
            IF NOT pg_has_role(r.login, grp, 'MEMBER') THEN
                EXECUTE format('GRANT %I TO %I', grp, r.login);
            END IF;
            IF r.role = 'admin' THEN
                EXECUTE format('ALTER ROLE %I CREATEROLE', r.login);
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN NULL;
        END;
    END LOOP;
END $$
"""


def _tables() -> list[str]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
        "AND relkind IN ('r', 'p') ORDER BY relname"
    )
    return [r[0] for r in rows]


def _q(table: str) -> str:
    return f'"{table}"'


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for name, args, result, body, definer in _FUNCTIONS:
        security = " SECURITY DEFINER" if definer else ""
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}({args}) RETURNS {result} LANGUAGE sql STABLE"
            f"{security} {_PATH} AS $fn$ {body} $fn$"
        )
    for name, args, *_ in _FUNCTIONS:
        op.execute(f"REVOKE ALL ON FUNCTION {name}({args}) FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {name}({args}) TO casedesk_agent")
    _grant()
    for table, policies in _POLICIES.items():
        op.execute(f"ALTER TABLE {_q(table)} ENABLE ROW LEVEL SECURITY")
        for policy, command, using, check in policies:
            sql = f"CREATE POLICY {policy} ON {_q(table)} FOR {command}"
            if using is not None:
                sql += f" USING ({using})"
            if check is not None:
                sql += f" WITH CHECK ({check})"
            op.execute(sql)
    op.execute(_OWNER_TRIGGER.format(path=_PATH))
    op.execute(
        'CREATE TRIGGER casedesk_case_owner BEFORE UPDATE OF owner_id ON "case" '
        "FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id) "
        "EXECUTE FUNCTION casedesk_check_owner()"
    )
    op.execute(_EVENT_TRIGGER.format(path=_PATH))
    op.execute(
        "CREATE TRIGGER casedesk_event_actor BEFORE INSERT ON case_event "
        "FOR EACH ROW EXECUTE FUNCTION casedesk_check_event()"
    )
    op.execute(_LOGIN_ROLES)


def _grant() -> None:
    tables = _tables()
    everything = ", ".join(_q(t) for t in tables)
    op.execute(f"REVOKE ALL ON {everything} FROM PUBLIC")
    op.execute(f"GRANT SELECT ON {everything} TO casedesk_agent")
    for privileges, names in _AGENT_WRITES.items():
        op.execute(f"GRANT {privileges} ON {', '.join(map(_q, names))} TO casedesk_agent")
    for table, columns in _AGENT_COLUMNS.items():
        op.execute(f"GRANT UPDATE ({columns}) ON {_q(table)} TO casedesk_agent")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO casedesk_agent")
    op.execute(
        f"GRANT INSERT, UPDATE, DELETE ON {', '.join(map(_q, _CONFIGURATION))} "
        "TO casedesk_supervisor"
    )
    # admins: every table, but events stay append-only (the owner alone may change them)
    writable = ", ".join(_q(t) for t in tables if t not in ("case_event", "alembic_version"))
    op.execute(f"GRANT INSERT, UPDATE, DELETE ON {writable} TO casedesk_admin")
    op.execute("GRANT INSERT ON case_event TO casedesk_admin")


def downgrade() -> None:
    # The login roles stay: they belong to the cluster and may hold other databases' rights.
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS casedesk_event_actor ON case_event")
    op.execute('DROP TRIGGER IF EXISTS casedesk_case_owner ON "case"')
    op.execute("DROP FUNCTION IF EXISTS casedesk_check_event()")
    op.execute("DROP FUNCTION IF EXISTS casedesk_check_owner()")
    for table, policies in _POLICIES.items():
        for policy, *_ in policies:
            op.execute(f"DROP POLICY IF EXISTS {policy} ON {_q(table)}")
        op.execute(f"ALTER TABLE {_q(table)} DISABLE ROW LEVEL SECURITY")
    for name, args, *_ in _FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}({args})")
    everything = ", ".join(_q(t) for t in _tables())
    for group in ("casedesk_admin", "casedesk_supervisor", "casedesk_agent"):
        op.execute(f"REVOKE ALL ON {everything} FROM {group}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {group}")
