"""Login roles for tests that connect to PostgreSQL as an agent instead of the superuser.

Roles belong to the whole server and tests run in parallel on many databases of it, so
creating one is idempotent and survives a race (another worker may create it first); no
test drops a shared role. The suite's server trusts local connections: a role connects
without a password.
"""

from __future__ import annotations

import contextlib
import os

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

GROUPS = {"agent": "casedesk_agent", "supervisor": "casedesk_supervisor",
          "admin": "casedesk_admin"}
#: ``CASEDESK_TEST_PG_ROLE=admin`` runs the PostgreSQL half of the suite connected as the
#: login role ``admin`` (a member of casedesk_admin, not a superuser, not the owner).
ROLE_ENV = "CASEDESK_TEST_PG_ROLE"


def suite_role() -> str | None:
    """The role the PostgreSQL fixtures connect as (None: the superuser)."""
    value = os.environ.get(ROLE_ENV, "").strip()
    if value and value not in ("admin",):
        raise ValueError(f"{ROLE_ENV} must be 'admin' (or unset), not {value!r}")
    return value or None


def ensure_login_role(admin_url: str, login: str, role: str) -> None:
    """Create LOGIN role ``login`` in the group of ``role`` unless it exists (race-safe)."""
    group = GROUPS[role]
    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        name = sql.Identifier(login)
        with contextlib.suppress(psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(name))
        # a concurrent GRANT of the same membership loses with one of these
        with contextlib.suppress(psycopg.errors.UniqueViolation, psycopg.errors.InternalError):
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), name))
        if role == "admin":
            conn.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(name))


def as_role(url: str, login: str) -> str:
    """``url`` connected as ``login`` (SQLAlchemy form, ``postgresql+psycopg://``)."""
    return make_url(url).set(username=login, password=None).render_as_string(
        hide_password=False)


def plain(url: str) -> str:
    """A URL psycopg takes (no ``+psycopg``)."""
    return url.replace("+psycopg", "")
