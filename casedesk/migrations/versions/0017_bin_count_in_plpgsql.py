"""the bin count of a claim in PL/pgSQL: its plan kept per session

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 06:30:00

``casedesk_bin_wip`` (migration 0015) counts an agent's active cases inside every claim,
after the agent's row lock. As an SQL function with a ``SET search_path`` it is never
inlined, and PostgreSQL planned its query anew for every claim: ``EXPLAIN ANALYZE`` of a
``next`` gave the ``room`` step 0.20 ms of its 0.45 ms, for a count over an index. A
PL/pgSQL function keeps that plan for the session. Same name, argument, result and
``VOLATILE`` (each query of a volatile function takes a fresh snapshot, so the count
still sees a claim committed while this one waited for the lock); it still runs as the
caller, under row security.
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_claim = importlib.import_module("casedesk.migrations.versions.0015_claim_in_one_statement")

_QUERY = f'SELECT count(*) FROM "case" WHERE owner_id = agent AND status IN ({_claim._ACTIVE})'


def _define(language: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    body = f"BEGIN RETURN ({_QUERY}); END" if language == "plpgsql" else _QUERY
    op.execute(
        f"CREATE OR REPLACE FUNCTION casedesk_bin_wip(agent bigint) RETURNS bigint "
        f"LANGUAGE {language} VOLATILE SET search_path = pg_catalog, public, pg_temp "
        f"AS $fn$ {body} $fn$"
    )


def upgrade() -> None:
    _define("plpgsql")


def downgrade() -> None:
    _define("sql")
