"""case numbers from a sequence on PostgreSQL: no row lock held until commit

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:10:00

Until now every new case took ``CS-…`` by updating the ``counter`` row ``case`` and held
that row lock until its transaction committed, so case creation was serialised across the
whole floor (issue 17: a second per create at 64 agents). On PostgreSQL the number now comes
from ``case_number_seq`` (``nextval`` takes no lock that waits for commit), starting after
the counter's value; agents may use it. A refused or rolled-back creation leaves a gap in
the numbers, as every helpdesk's numbers have. SQLite keeps the counter row: its one writer
at a time serialises creations anyway.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    last = bind.execute(sa.text("SELECT value FROM counter WHERE name = 'case'")).scalar() or 0
    op.execute(
        f"CREATE SEQUENCE IF NOT EXISTS case_number_seq AS bigint MINVALUE 1 START WITH {int(last) + 1}"
    )
    op.execute("GRANT USAGE ON SEQUENCE case_number_seq TO casedesk_agent")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    op.execute(
        "UPDATE counter SET value = GREATEST(value, (SELECT CASE WHEN is_called THEN last_value"
        " ELSE last_value - 1 END FROM case_number_seq)) WHERE name = 'case'"
    )
    op.execute("DROP SEQUENCE IF EXISTS case_number_seq")
