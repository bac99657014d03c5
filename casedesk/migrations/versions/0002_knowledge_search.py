"""knowledge search: article versions and external ids, full-text indexes on articles and cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 10:00:00

SQLite: external-content FTS5 tables ``article_fts`` (title, keywords, body),
``article_title_fts`` (title, keywords: the title tier of a search, small and fast) and
``case_fts`` (title, description, resolution_notes of *solved* cases, through the view
``case_fts_content``), tokenizer ``unicode61 remove_diacritics 2``, kept in sync by
AFTER INSERT/UPDATE/DELETE triggers.
NOTE: a later SQLite batch migration that *recreates* ``article`` or ``case`` drops these
triggers with the old table: recreate them (copy ``_sqlite_triggers``) in that migration;
``casedesk kb reindex`` reports them missing.

PostgreSQL: ``casedesk_fold(text)`` (lower case, accents and punctuation off, via plain
``translate()`` so no ``unaccent`` extension is needed), weighted tsvector columns
``GENERATED ALWAYS AS (...) STORED`` over folded text with the ``simple`` configuration
(title A, keywords / description B, body / resolution notes C; NULL for unsolved cases)
and GIN indexes;
``article`` keeps its big columns out of line (``toast_tuple_target``). The fold map must
stay equal to ``casedesk.services.knowledge.folding`` (a test checks it).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# translate() scans its map left to right for every character, so the frequent
# characters come first (mapped to themselves): 5x faster than the plain map.
_KEEP = " eaosrnidltcumphbgyfvqjzxkw\n0123456789"
_PUNCTUATION = ".,!\"#$%&'()*+-/:;<=>?@[\\]^_`{|}~¿¡«»–—‘’‚“”„…·•€£¢°´¨×÷\u00a0"
_LETTERS_FROM = (
    "áéíñóúüABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàâãäåçèêëìîïòôõöùûýÿĀāĂăĄąĆćĈĉĊċČč"
    "ĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžØĐĦŁĿŦ"
)
_LETTERS_TO = (
    "aeinouuabcdefghijklmnopqrstuvwxyzaaaaaaceeeeiiiinooooouuuuyaaaaaceeeiiioooouuyyaaaaaacccccccc"
    "ddeeeeeeeeeegggggggghhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzøđħłŀŧ"
)
_FROM = _KEEP + _PUNCTUATION + _LETTERS_FROM
_TO = _KEEP + " " * len(_PUNCTUATION) + _LETTERS_TO


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _tsvector(*parts: tuple[str, str]) -> str:
    return " || ".join(
        f"setweight(to_tsvector('simple'::regconfig, casedesk_fold(coalesce({column}, ''))), "
        f"'{weight}')"
        for column, weight in parts
    )


_SOLVED = "status IN ('resolved', 'closed')"
_SOLVED_CASES = (
    "CREATE VIEW case_fts_content AS SELECT id, title, description, resolution_notes "
    f'FROM "case" WHERE {_SOLVED}'
)

# (FTS5 table, indexed table, content table or view, columns, options, rows indexed).
# Only solved cases are indexed (guidance looks for those): bulk inserts of new cases
# pay nothing for it.
_SQLITE_TABLES = (
    ("article_fts", "article", "article", ("title", "keywords", "body"), "prefix='2 3', ", ""),
    ("article_title_fts", "article", "article", ("title", "keywords"), "prefix='2 3', ", ""),
    (
        "case_fts",
        "case",
        "case_fts_content",
        ("title", "description", "resolution_notes"),
        "",
        _SOLVED,
    ),
)


def _sqlite_triggers(fts: str, table: str, columns: tuple[str, ...], rows: str) -> list[str]:
    """INSERT/DELETE/UPDATE triggers keeping ``fts`` equal to ``table`` (its ``rows``)."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    where_new = f" WHERE new.{rows}" if rows else ""
    where_old = f" WHERE old.{rows}" if rows else ""
    insert = f"INSERT INTO {fts}(rowid, {cols}) SELECT new.id, {new}{where_new};"
    delete = f"INSERT INTO {fts}({fts}, rowid, {cols}) SELECT 'delete', old.id, {old}{where_old};"
    watched = cols + (", status" if rows else "")
    # A trigger's WHEN skips its program: rows that are not indexed cost (almost) nothing.
    return [
        f'CREATE TRIGGER {fts}_ai AFTER INSERT ON "{table}"{where_new.replace("WHERE", "WHEN")} '
        f"BEGIN {insert} END",
        f'CREATE TRIGGER {fts}_ad AFTER DELETE ON "{table}"{where_old.replace("WHERE", "WHEN")} '
        f"BEGIN {delete} END",
        f'CREATE TRIGGER {fts}_au AFTER UPDATE OF {watched} ON "{table}" BEGIN {delete} {insert} END',
    ]


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(
            sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.create_index("ix_article_external_id", ["external_id"], unique=True)

    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SOLVED_CASES)
        for fts, table, content, columns, options, rows in _SQLITE_TABLES:
            op.execute(
                f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, "
                f"content='{content}', content_rowid='id', {options}"
                "tokenize='unicode61 remove_diacritics 2')"
            )
            for ddl in _sqlite_triggers(fts, table, columns, rows):
                op.execute(ddl)
            op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        return

    op.execute(
        "CREATE FUNCTION casedesk_fold(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT "
        f"PARALLEL SAFE AS $$ SELECT lower(translate($1, {_literal(_FROM)}, {_literal(_TO)})) $$"
    )
    op.execute(
        "ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        + _tsvector(("title", "A"), ("keywords", "B"), ("body", "C"))
        + ") STORED"
    )
    op.execute(
        "ALTER TABLE article ADD COLUMN title_vector tsvector GENERATED ALWAYS AS ("
        + _tsvector(("title", "A"), ("keywords", "B"))
        + ") STORED"
    )
    op.execute(  # NULL (not indexed) until the case is solved, as on SQLite
        f'ALTER TABLE "case" ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (CASE WHEN '
        f"{_SOLVED} THEN "
        + _tsvector(("title", "A"), ("description", "B"), ("resolution_notes", "C"))
        + " END) STORED"
    )
    # Body and search_vector out of line: rows of ~300 bytes instead of ~2.8 KB, so the
    # bounded scans of a search (key walks, bitmap heap scans) touch 3x fewer pages.
    op.execute("ALTER TABLE article SET (toast_tuple_target = 256)")
    op.execute("CREATE INDEX ix_article_search ON article USING gin (search_vector)")
    op.execute("CREATE INDEX ix_article_title_search ON article USING gin (title_vector)")
    op.execute(  # unsolved cases (NULL) stay out of the index: inserting them costs nothing
        'CREATE INDEX ix_case_search ON "case" USING gin (search_vector) '
        "WHERE search_vector IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for fts, *_rest in _SQLITE_TABLES:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS {fts}")
        op.execute("DROP VIEW IF EXISTS case_fts_content")
    else:
        op.execute("DROP INDEX IF EXISTS ix_case_search")
        op.execute("DROP INDEX IF EXISTS ix_article_title_search")
        op.execute("DROP INDEX IF EXISTS ix_article_search")
        op.execute('ALTER TABLE "case" DROP COLUMN IF EXISTS search_vector')
        op.execute("ALTER TABLE article DROP COLUMN IF EXISTS title_vector")
        op.execute("ALTER TABLE article DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP FUNCTION IF EXISTS casedesk_fold(text)")
        op.execute("ALTER TABLE article RESET (toast_tuple_target)")
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_index("ix_article_external_id")
        batch_op.drop_column("external_id")
        batch_op.drop_column("version")
