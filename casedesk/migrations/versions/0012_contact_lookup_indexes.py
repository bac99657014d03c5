"""contact lookup as you type, indexed on both databases: key prefixes and name-word prefixes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 15:00:00

``services.directory.customers.find_contacts`` matches what a person types by prefix of
the folded name (``name_key``), of the e-mail (``email_key``), of the phone's digits
(``phone_key``), and by prefix of any word of the name or group of the phone, in any
order.

- Key prefixes are byte ranges (``key >= k AND key < k || U+10FFFF``), read in key order
  (the first matches, ``LIMIT n``). SQLite's BINARY indexes of 0008 already serve both;
  PostgreSQL's default-collation indexes do not, so each key gets an index in the ``C``
  collation (byte order; queries say ``COLLATE "C"``). Not ``text_pattern_ops``: it serves
  the range but not the ``ORDER BY``, and the planner then walks the whole
  default-collation index for the order (0.75 s a keystroke at a million contacts).
- Words: on SQLite an FTS5 index of ``contact.name`` and ``contact.phone`` (external
  content, kept by triggers, tokenizer ``unicode61 remove_diacritics 2`` as knowledge
  search), with prefix indexes of 1–4 characters; on PostgreSQL a GIN expression index
  over ``to_tsvector('simple', casedesk_fold(name || ' ' || phone))`` (the fold of 0002).

No new PostgreSQL table (the grants and row policies of 0006 cover these indexes); the
SQLite-only ``contact_fts`` is always read joined to ``contact``.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: the expression the PostgreSQL word index is built on (queries must repeat it exactly)
PG_NAME_WORDS = ("to_tsvector('simple'::regconfig, "
                 "casedesk_fold(coalesce(name, '') || ' ' || coalesce(phone, '')))")
_KEYS = ("name_key", "email_key", "phone_key")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE contact_fts USING fts5(name, phone, content='contact', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3 4')"
        )
        op.execute(
            "CREATE TRIGGER contact_fts_insert AFTER INSERT ON contact BEGIN "
            "INSERT INTO contact_fts(rowid, name, phone) VALUES (new.id, new.name, new.phone); END"
        )
        forget = ("INSERT INTO contact_fts(contact_fts, rowid, name, phone) "
                  "VALUES ('delete', old.id, old.name, old.phone);")
        op.execute(f"CREATE TRIGGER contact_fts_delete AFTER DELETE ON contact BEGIN {forget} END")
        op.execute(
            f"CREATE TRIGGER contact_fts_update AFTER UPDATE OF name, phone ON contact BEGIN "
            f"{forget} INSERT INTO contact_fts(rowid, name, phone) "
            "VALUES (new.id, new.name, new.phone); END"
        )
        op.execute("INSERT INTO contact_fts(contact_fts) VALUES ('rebuild')")
        return
    for key in _KEYS:
        op.execute(f'CREATE INDEX ix_contact_{key}_prefix ON contact ({key} COLLATE "C")')
    op.execute(f"CREATE INDEX ix_contact_name_words ON contact USING gin ({PG_NAME_WORDS})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contact_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS contact_fts")
        return
    op.execute("DROP INDEX IF EXISTS ix_contact_name_words")
    for key in _KEYS:
        op.execute(f"DROP INDEX IF EXISTS ix_contact_{key}_prefix")
