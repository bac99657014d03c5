"""the customer portal: sign-in links, portal sessions, quotes, files, survey answers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 17:00:00

- ``portal_link``: one-time sign-in links (the token's SHA-256, the contact, expiry, when
  used). ``portal_session``: a signed-in customer (the cookie's SHA-256, the CSRF token of
  its forms, expiry). Secrets of the web server alone: no agent group may read them; the
  owner (or an admin login, which ``casedesk web`` may run as) writes them.
- ``quote``: a price an agent attached to a case (cents, currency, description, pending /
  approved / declined). Agents read and write their team's (the row follows its case).
- ``portal_file``: a file a customer added to a case; ``survey_answer``: the one answer to
  a closed case's satisfaction survey (unique per case). Agents read their team's.

On PostgreSQL the grants and row policies of 0006: a row of quote, portal_file and
survey_answer is seen by whoever sees its case.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from casedesk.models.base import BIG_ID, UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ADMIN = "(SELECT casedesk_is('casedesk_admin'))"
_FOLLOWS_CASE = ("quote", "portal_file", "survey_answer")
_SECRETS = ("portal_link", "portal_session")


def upgrade() -> None:
    op.create_table(
        "portal_link",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("contact_id", BIG_ID, sa.ForeignKey("contact.id"), nullable=False,
                  index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "portal_session",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("contact_id", BIG_ID, sa.ForeignKey("contact.id"), nullable=False,
                  index=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "quote",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("case.id"), nullable=False),
        sa.Column("amount_cents", BIG_ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False, server_default="EUR"),
        sa.Column("description", sa.String(), nullable=False, server_default=""),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="pending"),
        sa.Column("created_by", BIG_ID, sa.ForeignKey("agent.id"), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_quote_case", "quote", ["case_id", "id"])
    op.create_table(
        "portal_file",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("case.id"), nullable=False, index=True),
        sa.Column("interaction_id", BIG_ID, sa.ForeignKey("interaction.id"), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size", BIG_ID, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "survey_answer",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("case_id", BIG_ID, sa.ForeignKey("case.id"), nullable=False, unique=True),
        sa.Column("contact_id", BIG_ID, sa.ForeignKey("contact.id"), nullable=True),
        sa.Column("score", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.String(), nullable=False, server_default=""),
        sa.Column("answered_at", UTCDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        return
    tables = (*_SECRETS, *_FOLLOWS_CASE)
    op.execute(f"REVOKE ALL ON {', '.join(tables)} FROM PUBLIC")
    # admins (an admin login may run `casedesk web`): everything
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(tables)} TO casedesk_admin")
    op.execute("GRANT SELECT ON quote, portal_file, survey_answer TO casedesk_agent")
    op.execute("GRANT INSERT, UPDATE ON quote TO casedesk_agent")
    for table in tables:
        op.execute(f"GRANT USAGE, SELECT ON SEQUENCE {table}_id_seq TO casedesk_admin")
    op.execute("GRANT USAGE, SELECT ON SEQUENCE quote_id_seq TO casedesk_agent")
    for table in _FOLLOWS_CASE:
        seen = f'({_ADMIN} OR EXISTS (SELECT 1 FROM "case" c WHERE c.id = {table}.case_id))'
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({seen})")
        op.execute(f"CREATE POLICY {table}_write ON {table} FOR INSERT WITH CHECK ({seen})")
        op.execute(f"CREATE POLICY {table}_change ON {table} FOR UPDATE USING ({seen}) "
                   f"WITH CHECK ({seen})")
        op.execute(f"CREATE POLICY {table}_remove ON {table} FOR DELETE USING ({_ADMIN})")
    for table in _SECRETS:  # admins only (owner and BYPASSRLS are not subject to RLS)
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_admin ON {table} FOR ALL USING ({_ADMIN}) "
                   f"WITH CHECK ({_ADMIN})")


def downgrade() -> None:
    for table in ("survey_answer", "portal_file", "quote", "portal_session", "portal_link"):
        op.drop_table(table)
