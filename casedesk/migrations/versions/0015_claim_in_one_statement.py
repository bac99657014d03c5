"""a claim in one statement on PostgreSQL: the bin count read after the agent's row lock

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-01 17:00:00

``next`` and ``accept`` on PostgreSQL are one statement each
(``services.workflow.fastpath``): lock the agent's row (``FOR NO KEY UPDATE``), count
the open cases of the bin, claim the case and write its event. Inside one statement
every subquery reads the statement's snapshot, taken before the lock was granted, so a
claim into the same bin that committed while this one waited would not be counted and a
bin could take one case beyond its capacity. ``casedesk_bin_wip`` is ``VOLATILE``: a
volatile SQL function takes a fresh snapshot for its query, after the lock, and sees
that claim. It runs as the caller (row security applies, as to the count it replaces).
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None

#: the statuses ``case_is_active()`` counts (models.base.ACTIVE_STATUSES)
_ACTIVE = "'new', 'in_progress', 'awaiting_customer', 'resolved'"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(
        "CREATE OR REPLACE FUNCTION casedesk_bin_wip(agent bigint) RETURNS bigint "
        "LANGUAGE sql VOLATILE SET search_path = pg_catalog, public, pg_temp AS $fn$ "
        f'SELECT count(*) FROM "case" WHERE owner_id = agent AND status IN ({_ACTIVE}) $fn$'
    )
    op.execute("REVOKE ALL ON FUNCTION casedesk_bin_wip(bigint) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION casedesk_bin_wip(bigint) TO casedesk_agent")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP FUNCTION IF EXISTS casedesk_bin_wip(bigint)")
