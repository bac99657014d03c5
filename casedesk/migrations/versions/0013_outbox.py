"""the outbox: mail the desk sends, queued in the transaction of the action that sends

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 17:00:00

- ``outbox``: one row per mail (``kind`` ack, article, reply, resolution, survey,
  portal_link), its recipient, subject, body, ``message_id`` (unique: the sender's dedupe
  key), ``in_reply_to`` and ``references`` (threading), and its delivery: ``status``
  pending → sending → delivered | failed, ``attempts``, ``next_attempt_at`` (the retry
  time when pending, the end of the sender's lease when sending), ``last_error``,
  ``claimed_by``, ``created_at``, ``sent_at``. ``ix_outbox_due`` (status, next_attempt_at)
  is the sender's index range.
- PostgreSQL grants: agents INSERT (and SELECT, which ``INSERT … RETURNING id`` needs);
  supervisors and admins — and ``casedesk worker`` connected as one of them, or as the
  owner — read and UPDATE. Nobody but the owner DELETEs.
- Row-level security (the rows carry case mail and one-time sign-in links): a row is read
  by admins and supervisors, and by agents when its case is visible to them (the case's
  own policy) and it is not a ``portal_link``; a sign-in link is never an agent's to read.
  An agent inserts only mail for a case they see (or no case, not a sign-in link);
  supervisors and admins insert any. The owner and BYPASSRLS roles (a web server or
  worker connected as the owner) are not affected.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casedesk.models.base import BIG_ID, UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_STAFF = "((SELECT casedesk_is('casedesk_supervisor')) OR (SELECT casedesk_is('casedesk_admin')))"
_AGENT_SEES = (
    "(outbox.kind <> 'portal_link' AND (outbox.case_id IS NULL "
    'OR EXISTS (SELECT 1 FROM "case" c WHERE c.id = outbox.case_id)))'
)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("case.id"), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("to_address", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body", sa.String(), nullable=False, server_default=""),
        sa.Column("message_id", sa.String(length=500), nullable=False, unique=True),
        sa.Column("in_reply_to", sa.String(length=500), nullable=True),
        sa.Column("references", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_case_id", "outbox", ["case_id"])
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"])
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("REVOKE ALL ON outbox FROM PUBLIC")
    op.execute("GRANT SELECT, INSERT ON outbox TO casedesk_agent")
    op.execute("GRANT USAGE, SELECT ON SEQUENCE outbox_id_seq TO casedesk_agent")
    op.execute("GRANT UPDATE ON outbox TO casedesk_supervisor")
    op.execute("GRANT UPDATE ON outbox TO casedesk_admin")
    op.execute("ALTER TABLE outbox ENABLE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY outbox_read ON outbox FOR SELECT USING ({_STAFF} OR {_AGENT_SEES})")
    op.execute(
        f"CREATE POLICY outbox_write ON outbox FOR INSERT WITH CHECK ({_STAFF} OR {_AGENT_SEES})"
    )
    op.execute(f"CREATE POLICY outbox_change ON outbox FOR UPDATE USING ({_STAFF}) "
               f"WITH CHECK ({_STAFF})")


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_index("ix_outbox_case_id", table_name="outbox")
    op.drop_table("outbox")
