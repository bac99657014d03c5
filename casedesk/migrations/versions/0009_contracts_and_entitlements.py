"""contract templates, each line's own period, the case's entitlement at creation

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:00:00

- ``contract_template``: a name, a description, how many days a contract made from it
  runs, and its lines as JSON (``[{"name", "allotment", "total"}]``). Configuration:
  agents read it, supervisors (and so admins) write it. It holds no team data, so no row
  policy (as ``sla_policy`` and ``case_template`` in 0006).
- ``contract_line.starts`` / ``ends``: a line's own period; NULL means the contract's.
- ``case.entitlement``: the state of the case's contract line when the case was opened —
  ``ok``, ``exhausted``, ``expired`` or ``none`` (no line) — kept for billing; NULL for
  cases opened before this revision.
- the ``contract`` counter: numbers of contracts made by casedesk (``CT-000001``).
- (time per agent per day reads ``ix_time_entry_agent_at`` of 0010: agent, at, minutes.)

Plain ``ALTER TABLE … ADD COLUMN`` (nullable): instant on both databases; a batch rebuild
of ``case`` would break the SQLite search views.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casedesk.models.base import BIG_ID, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contract_template",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("name", sa.String(length=100), nullable=False, unique=True),
        sa.Column("description", sa.String(), nullable=False, server_default=""),
        sa.Column("duration_days", sa.Integer(), nullable=False, server_default="365"),
        sa.Column("lines", sa.JSON(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=True),
    )
    op.add_column("contract_line", sa.Column("starts", sa.Date(), nullable=True))
    op.add_column("contract_line", sa.Column("ends", sa.Date(), nullable=True))
    op.add_column("case", sa.Column("entitlement", sa.String(length=16), nullable=True))
    # the numbers of contracts made here (CT-000001); imported contracts keep their own
    op.execute("INSERT INTO counter (name, value) SELECT 'contract', 0 WHERE NOT EXISTS "
               "(SELECT 1 FROM counter WHERE name = 'contract')")
    if op.get_bind().dialect.name == "sqlite":
        return
    # the grants of 0006 for a new configuration table (0006 granted the tables it saw)
    op.execute("REVOKE ALL ON contract_template FROM PUBLIC")
    op.execute("GRANT SELECT ON contract_template TO casedesk_agent")
    op.execute("GRANT INSERT, UPDATE, DELETE ON contract_template TO casedesk_supervisor")
    op.execute("GRANT INSERT, UPDATE, DELETE ON contract_template TO casedesk_admin")
    op.execute("GRANT USAGE, SELECT ON SEQUENCE contract_template_id_seq TO casedesk_agent")


def downgrade() -> None:
    op.execute("DELETE FROM counter WHERE name = 'contract'")
    op.drop_column("case", "entitlement")
    op.drop_column("contract_line", "ends")
    op.drop_column("contract_line", "starts")
    op.drop_table("contract_template")
