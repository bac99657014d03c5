"""row security's helper functions in PL/pgSQL: their plans kept per session

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 23:30:00

The helpers the policies and the owner and event triggers call (``casedesk_is``,
``casedesk_agent_id``, ``casedesk_trusted`` …, migration 0006) were SQL functions with a
``SET search_path``: such a function is never inlined, and PostgreSQL plans an SQL
function's query anew for every statement (or, from a trigger, every transaction) that
calls it — ``pg_stat_statements`` counted 959 plans of ``casedesk_trusted`` for 2,386 calls
over 200 agent loops, more planning than running. A PL/pgSQL function keeps its plans for
the whole session. Same names, arguments, results, volatility and search path; the
``SECURITY DEFINER`` pair that looks past row security stays as it is.
"""

from __future__ import annotations

import importlib

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_rls = importlib.import_module("casedesk.migrations.versions.0006_row_level_security")


def _define_helpers(language: str) -> None:
    """(Re)create each helper that runs as the caller, in ``language`` (same signature)."""
    if op.get_bind().dialect.name == "sqlite":
        return
    for name, args, result, body, definer in _rls._FUNCTIONS:
        if definer:
            continue
        code = f"BEGIN RETURN ({body}); END" if language == "plpgsql" else body
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}({args}) RETURNS {result} LANGUAGE {language} "
            f"STABLE {_rls._PATH} AS $fn$ {code} $fn$"
        )


def upgrade() -> None:
    _define_helpers("plpgsql")


def downgrade() -> None:
    _define_helpers("sql")
