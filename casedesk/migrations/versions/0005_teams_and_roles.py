"""teams, the database's group roles, who really acted, and the supervisor's flag indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00

- ``team`` (an outsourced partner, a site …); ``queue.team_id`` and ``agent.team_id``: a
  team owns queues and agents (NULL: the desk's own).
- ``case_event.via_id``: the admin who acted as ``actor_id`` (impersonation with ``--as``
  on PostgreSQL), so every event it causes says who really did it.
- PostgreSQL only: the group roles ``casedesk_agent``, ``casedesk_supervisor`` (a member
  of ``casedesk_agent``) and ``casedesk_admin`` (a member of ``casedesk_supervisor``),
  NOLOGIN, created if the cluster does not have them yet (roles belong to the cluster, not
  to one database; another casedesk database on the same server shares them). Each agent's
  own login role is made a member of one of them by ``casedesk agent add``. The grants and
  row-level security that give the groups their rights come in the next migration.
- Partial indexes over the ESCALATED (128) and INACTIVE (64) bits of ``case.sla_flags``:
  the supervisor's lists read a few index entries instead of every open case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casedesk.models.base import BIG_ID, UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

GROUP_ROLES = ("casedesk_agent", "casedesk_supervisor", "casedesk_admin")


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False, unique=True),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=True),
    )
    with op.batch_alter_table("queue") as batch:
        batch.add_column(sa.Column("team_id", BIG_ID, nullable=True))
    with op.batch_alter_table("agent") as batch:
        batch.add_column(sa.Column("team_id", BIG_ID, nullable=True))
    with op.batch_alter_table("case_event") as batch:
        batch.add_column(sa.Column("via_id", BIG_ID, nullable=True))
    op.create_index("ix_queue_team_id", "queue", ["team_id"])
    op.create_index("ix_agent_team_id", "agent", ["team_id"])
    for name, bit in (("ix_case_escalated", 128), ("ix_case_inactive", 64)):
        op.create_index(
            name,
            "case",
            ["id"],
            sqlite_where=sa.text(f"(sla_flags & {bit}) <> 0"),
            postgresql_where=sa.text(f"(sla_flags & {bit}) <> 0"),
        )
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite: foreign keys would mean rebuilding the tables; no roles
    op.create_foreign_key("fk_queue_team", "queue", "team", ["team_id"], ["id"])
    op.create_foreign_key("fk_agent_team", "agent", "team", ["team_id"], ["id"])
    op.create_foreign_key("fk_case_event_via", "case_event", "agent", ["via_id"], ["id"])
    # Idempotent and safe when two databases of one cluster are upgraded at once (the
    # loser of a race on the same role sees duplicate_object / unique_violation).
    for role in GROUP_ROLES:
        _quietly(f"CREATE ROLE {role} NOLOGIN")
    _quietly("GRANT casedesk_agent TO casedesk_supervisor")
    _quietly("GRANT casedesk_supervisor TO casedesk_admin")


def _quietly(statement: str) -> None:
    """Run a cluster-wide statement that another upgrade may have run already."""
    op.execute(
        "DO $$ BEGIN "
        f"IF NOT {_done(statement)} THEN {statement}; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation OR internal_error THEN NULL; "
        "END $$"
    )


def _done(statement: str) -> str:
    words = statement.split()
    if words[0] == "CREATE":
        return f"EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{words[2]}')"
    member, group = words[3], words[1]
    return f"pg_has_role('{member}', '{group}', 'MEMBER')"


def downgrade() -> None:
    # The group roles stay: they belong to the cluster and other databases may use them.
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_case_event_via", "case_event", type_="foreignkey")
        op.drop_constraint("fk_agent_team", "agent", type_="foreignkey")
        op.drop_constraint("fk_queue_team", "queue", type_="foreignkey")
    op.drop_index("ix_case_inactive", "case")
    op.drop_index("ix_case_escalated", "case")
    op.drop_index("ix_agent_team_id", "agent")
    op.drop_index("ix_queue_team_id", "queue")
    with op.batch_alter_table("case_event") as batch:
        batch.drop_column("via_id")
    with op.batch_alter_table("agent") as batch:
        batch.drop_column("team_id")
    with op.batch_alter_table("queue") as batch:
        batch.drop_column("team_id")
    op.drop_table("team")
