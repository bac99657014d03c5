"""Full-text ranking on SQLite FTS5 and PostgreSQL tsvector, bounded so it stays fast.

Ranking every match of a common word costs ~60–80 ms on SQLite (bm25) and 200–330 ms on
PostgreSQL (ts_rank) at 100,000 articles. So each ranked query looks at a bounded
candidate set: the :data:`CANDIDATES` newest matches (highest ids; :data:`TITLE_CANDIDATES`
in the title tier). When a query matches fewer rows than that, its ranking is exact;
beyond, it is the best of the newest.

Articles are searched in two tiers so an old article whose *title or keywords* hold the
words is not cut off by newer articles that only mention them in the body: tier 1 is the
articles with every term in title/keywords, ranked on title and keywords; tier 2 (only
when tier 1 does not fill the page) is every match, ranked on all three. Column weights:
title 10, keywords 5, body 1 (bm25) and title A 1.0, keywords B 0.5, body C 0.1 (ts_rank).

* SQLite: ``rowid >= (the N-th newest match)`` is a range FTS5 seeks to, so bm25 runs on N
  rows only. (``rowid IN (…)`` is not: FTS5 re-runs the query per value.) The title tier
  has its own small FTS5 table: a column filter on the full one makes bm25 decode the
  positions of every row holding the words, and scans them all when titles hold none.
* PostgreSQL: ``ORDER BY id DESC LIMIT N`` over ``@@``. For common words the planner
  walks the primary key backwards and stops after N matches; for rarer ones the GIN
  bitmap is cheaper, but the planner keeps choosing the walk, so we estimate the matches
  from the column's lexeme statistics (``pg_stats.most_common_elems``) and, when fewer
  than ``sqrt(N × rows)`` are expected, write ``ORDER BY id + 0`` to force the bitmap.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, text
from sqlmodel import Session

from casedesk.errors import ConfigError
from casedesk.i18n import _

#: Matches ranked per query (the newest ones); the title tier only has to fill a page.
CANDIDATES = 500
TITLE_CANDIDATES = 100
#: Terms of a case used to find similar cases and articles (the rarest ones), out of the
#: first GUIDE_WORDS distinct words of its title and description.
GUIDE_TERMS = 8
GUIDE_WORDS = 24
#: A term in more than this share of the rows (and in more than COMMON_MIN rows) says
#: little about a case.
COMMON_SHARE = 0.02
COMMON_MIN = 50


@dataclass(frozen=True)
class Ranked:
    """A row id and its relevance (higher is better; comparable within one query only)."""

    id: int
    score: float


def fts_expression(terms: Sequence[str], prefix: bool, op: str = "AND") -> str:
    """FTS5 MATCH text: quoted folded terms, the last one ``*`` when it is a prefix."""
    parts = [f'"{t}"' for t in terms]
    if prefix and parts:
        parts[-1] += "*"
    return f" {op} ".join(parts)


def ts_expression(terms: Sequence[str], prefix: bool, op: str = "&") -> str:
    """PostgreSQL ``to_tsquery('simple', …)`` text, the last term ``:*`` when a prefix."""
    parts = list(terms)
    if prefix and parts:
        parts[-1] += ":*"
    return f" {op} ".join(parts)


class SearchIndex(ABC):
    """One database's full-text machinery; :func:`index_for` picks it."""

    backend: str

    @abstractmethod
    def prepare(self, session: Session) -> None:
        """Set up the session's transaction for the queries below."""

    def search_articles(
        self,
        session: Session,
        terms: Sequence[str],
        prefix: bool,
        statuses: Sequence[str] | None,
        limit: int,
    ) -> list[Ranked]:
        """Articles holding every term, title/keyword matches first, best first."""
        if not terms or limit <= 0:
            return []
        first = self._articles(session, terms, prefix, statuses, limit, title_tier=True)
        if len(first) >= limit:
            return first
        more = self._articles(session, terms, prefix, statuses, limit + len(first), False)
        seen = {r.id for r in first}
        return first + [r for r in more if r.id not in seen][: limit - len(first)]

    @abstractmethod
    def _articles(
        self,
        session: Session,
        terms: Sequence[str],
        prefix: bool,
        statuses: Sequence[str] | None,
        limit: int,
        title_tier: bool,
    ) -> list[Ranked]: ...

    @abstractmethod
    def similar_articles(
        self, session: Session, terms: Sequence[str], statuses: Sequence[str], limit: int
    ) -> list[Ranked]:
        """Articles holding any of ``terms``, those with more (and in titles) first."""

    @abstractmethod
    def similar_cases(
        self,
        session: Session,
        terms: Sequence[str],
        statuses: Sequence[str],
        exclude_id: int | None,
        limit: int,
    ) -> list[Ranked]:
        """Cases whose title, description or resolution notes hold any of ``terms``."""

    @abstractmethod
    def doc_counts(
        self, session: Session, table: str, terms: Sequence[str], common: float
    ) -> dict[str, float]:
        """Rows of ``table`` (``article``/``case``) holding each term: exact up to
        ``common``, beyond it any number above; 0 only if no row holds it."""

    @abstractmethod
    def table_rows(self, session: Session, table: str) -> float:
        """About how many rows ``table`` has (cheap)."""

    def telling_terms(self, session: Session, table: str, terms: Sequence[str]) -> list[str]:
        """Up to :data:`GUIDE_TERMS` of ``terms`` found in ``table``, rarest first, common
        ones left out (unless nothing else is left: then the first three)."""
        terms = list(terms)[:GUIDE_WORDS]
        if not terms:
            return []
        common = max(COMMON_SHARE * self.table_rows(session, table), COMMON_MIN)
        counts = self.doc_counts(session, table, terms, common)
        found = [t for t in terms if counts.get(t, 0.0) > 0]
        ranked = sorted(found, key=lambda t: counts[t])  # stable: earlier words first
        telling = [t for t in ranked if counts[t] <= common]
        return (telling or found[:3])[:GUIDE_TERMS]

    @abstractmethod
    def missing(self, session: Session) -> list[str]:
        """The pieces of the index the migration made that are not there (empty: all good)."""

    @abstractmethod
    def rebuild(self, session: Session) -> None:
        """Rebuild the index from the tables (``casedesk kb reindex``)."""

    def check(self, session: Session) -> None:
        missing = self.missing(session)
        if missing:
            raise ConfigError(
                _("the knowledge search index is incomplete ({missing}): it is made "
                  "by migration 0002; downgrade to 0001 and run `casedesk db upgrade` again")
                .format(missing=", ".join(missing))
            )


# --- SQLite: FTS5 -----------------------------------------------------------------------


class SqliteIndex(SearchIndex):
    """External-content FTS5 tables kept by triggers; bm25 over a rowid range."""

    backend = "sqlite"
    WEIGHTS = {
        "article_fts": "10.0, 5.0, 1.0",
        "article_title_fts": "10.0, 5.0",
        "case_fts": "10.0, 4.0, 2.0",
    }
    TABLES = {"article": "article_fts", "case": "case_fts"}

    def prepare(self, session: Session) -> None:
        """Nothing to set up: FTS5 plans are made per statement."""

    def _ranked(
        self,
        session: Session,
        fts: str,
        table: str,
        expression: str,
        statuses: Sequence[str] | None,
        limit: int,
        candidates: int,
        exclude_id: int | None = None,
    ) -> list[Ranked]:
        weights = self.WEIGHTS[fts]
        join = f'JOIN "{table}" t ON t.id = {fts}.rowid' if statuses is not None else ""
        where = " AND t.status IN :statuses" if statuses is not None else ""
        if exclude_id is not None:
            where += f" AND {fts}.rowid != :exclude"
        sql = text(
            f"SELECT {fts}.rowid, -bm25({fts}, {weights}) AS score FROM {fts} {join} "
            f"WHERE {fts} MATCH :expr{where} AND {fts}.rowid >= coalesce(("
            f"SELECT {fts}.rowid FROM {fts} {join} WHERE {fts} MATCH :expr{where} "
            f"ORDER BY {fts}.rowid DESC LIMIT 1 OFFSET :offset), 0) "
            f"ORDER BY score DESC, {fts}.rowid DESC LIMIT :limit"
        )
        params: dict[str, object] = {"expr": expression, "offset": candidates - 1, "limit": limit}
        if statuses is not None:
            sql = sql.bindparams(bindparam("statuses", expanding=True))
            params["statuses"] = list(statuses)
        if exclude_id is not None:
            params["exclude"] = exclude_id
        return [Ranked(row[0], row[1]) for row in session.execute(sql, params)]

    def _articles(
        self,
        session: Session,
        terms: Sequence[str],
        prefix: bool,
        statuses: Sequence[str] | None,
        limit: int,
        title_tier: bool,
    ) -> list[Ranked]:
        fts = "article_title_fts" if title_tier else "article_fts"
        expression = fts_expression(terms, prefix)
        bound = TITLE_CANDIDATES if title_tier else CANDIDATES
        return self._ranked(session, fts, "article", expression, statuses, limit, bound)

    def similar_articles(
        self, session: Session, terms: Sequence[str], statuses: Sequence[str], limit: int
    ) -> list[Ranked]:
        if not terms:
            return []
        expression = fts_expression(terms, False, "OR")
        return self._ranked(
            session, "article_fts", "article", expression, statuses, limit, CANDIDATES
        )

    def similar_cases(
        self,
        session: Session,
        terms: Sequence[str],
        statuses: Sequence[str],
        exclude_id: int | None,
        limit: int,
    ) -> list[Ranked]:
        if not terms:
            return []
        expression = fts_expression(terms, False, "OR")
        return self._ranked(
            session, "case_fts", "case", expression, statuses, limit, CANDIDATES, exclude_id
        )

    def table_rows(self, session: Session, table: str) -> float:
        return float(session.execute(text(f'SELECT max(id) FROM "{table}"')).scalar() or 0)

    def doc_counts(
        self, session: Session, table: str, terms: Sequence[str], common: float
    ) -> dict[str, float]:
        """Counted with ``LIMIT common + 1``: FTS5's own counts (fts5vocab) walk whole
        doclists, ~5 ms per common word at 100,000 rows."""
        fts = self.TABLES[table]
        cap = int(common) + 1
        sql = " UNION ALL ".join(
            f"SELECT {i}, count(*) FROM (SELECT 1 FROM {fts} WHERE {fts} MATCH :t{i} LIMIT {cap})"
            for i in range(len(terms))
        )
        params = {f"t{i}": fts_expression([t], False) for i, t in enumerate(terms)}
        counts = dict(session.execute(text(sql), params).all())
        return {t: float(counts.get(i, 0)) for i, t in enumerate(terms)}

    def missing(self, session: Session) -> list[str]:
        names = set(
            session.execute(
                text("SELECT name FROM sqlite_master WHERE type IN ('table', 'view', 'trigger')")
            ).scalars()
        )
        wanted = ["case_fts_content"] + [
            f"{fts}{suffix}" for fts in self.WEIGHTS for suffix in ("", "_ai", "_ad", "_au")
        ]
        return [name for name in wanted if name not in names]

    def rebuild(self, session: Session) -> None:
        self.check(session)
        for fts in self.WEIGHTS:
            session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"))
            session.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('optimize')"))


# --- PostgreSQL: weighted tsvector + GIN ---------------------------------------------------


@dataclass(frozen=True)
class _LexemeStats:
    """A tsvector column's most common lexemes and their row shares, from ``pg_stats``."""

    shares: dict[str, float]
    ordered: list[str]
    floor: float  # rarer than every listed lexeme
    rows: float

    def share(self, term: str, prefix: bool = False) -> float:
        if not prefix:
            return self.shares.get(term, self.floor)
        i = bisect.bisect_left(self.ordered, term)
        total = self.floor
        while i < len(self.ordered) and self.ordered[i].startswith(term):
            total += self.shares[self.ordered[i]]
            i += 1
        return min(1.0, total)


class PostgresIndex(SearchIndex):
    """Generated weighted tsvector columns with GIN indexes; ts_rank over bounded candidates."""

    backend = "postgresql"
    ARTICLE_WEIGHTS = "'{0.1, 0.1, 0.5, 1.0}'::real[]"  # D, C body, B keywords, A title
    CASE_WEIGHTS = "'{0.1, 0.2, 0.4, 1.0}'::real[]"  # D, C notes, B description, A title
    STATS_TTL = 300.0
    _stats: dict[tuple[str, str, str], tuple[float, _LexemeStats | None]] = {}
    _lock = threading.Lock()

    def prepare(self, session: Session) -> None:
        """Plan every query for its own words: psycopg prepares statements after five runs,
        and a generic plan (blind to how common the words are) picks the slow path."""
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def _lexeme_stats(self, session: Session, table: str, column: str) -> _LexemeStats | None:
        key = (str(session.connection().engine.url), table, column)
        now = time.monotonic()
        with self._lock:
            cached = self._stats.get(key)
        if cached is not None and now - cached[0] < self.STATS_TTL:
            return cached[1]
        row = session.execute(
            text(
                "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
                "FROM pg_class c LEFT JOIN pg_stats s ON s.tablename = c.relname "
                "AND s.schemaname = current_schema() AND s.attname = :column "
                "WHERE c.oid = to_regclass(:table)"
            ),
            {"table": f'"{table}"', "column": column},
        ).first()
        stats = None
        if row is not None and row[0] and row[1] and row[2] and row[2] > 0:
            elems, freqs = list(row[0]), list(row[1])
            shares = dict(zip(elems, freqs[: len(elems)], strict=True))
            floor = min(freqs[: len(elems)]) / 2
            stats = _LexemeStats(shares, sorted(shares), floor, float(row[2]))
        with self._lock:
            self._stats[key] = (now, stats)
        return stats

    def _order(
        self,
        session: Session,
        table: str,
        column: str,
        terms: Sequence[str],
        prefix: bool,
        any_term: bool,
        candidates: int,
    ) -> str:
        """``id DESC`` (walk the key, stop after N) or ``id + 0 DESC`` (GIN bitmap, then sort)."""
        stats = self._lexeme_stats(session, table, column)
        if stats is None:
            return "id DESC"
        shares = [stats.share(t, prefix and i == len(terms) - 1) for i, t in enumerate(terms)]
        share = 1.0 - math.prod(1.0 - s for s in shares) if any_term else math.prod(shares)
        expected = share * stats.rows
        return "id DESC" if expected >= math.sqrt(candidates * stats.rows) else "id + 0 DESC"

    def _ranked(
        self,
        session: Session,
        table: str,
        column: str,
        weights: str,
        terms: Sequence[str],
        prefix: bool,
        any_term: bool,
        statuses: Sequence[str] | None,
        limit: int,
        candidates: int,
        exclude_id: int | None = None,
    ) -> list[Ranked]:
        query = ts_expression(terms, prefix, "|" if any_term else "&")
        order = self._order(session, table, column, terms, prefix, any_term, candidates)
        where = " AND status IN :statuses" if statuses is not None else ""
        if exclude_id is not None:
            where += " AND id <> :exclude"
        sql = text(
            f"SELECT c.id, ts_rank({weights}, c.v, to_tsquery('simple', :query), 1) AS score "
            f'FROM (SELECT id, {column} AS v FROM "{table}" '
            f"WHERE {column} @@ to_tsquery('simple', :query){where} "
            f"ORDER BY {order} LIMIT :candidates) c ORDER BY score DESC, c.id DESC LIMIT :limit"
        )
        params: dict[str, object] = {"query": query, "candidates": candidates, "limit": limit}
        if statuses is not None:
            sql = sql.bindparams(bindparam("statuses", expanding=True))
            params["statuses"] = list(statuses)
        if exclude_id is not None:
            params["exclude"] = exclude_id
        return [Ranked(row[0], float(row[1])) for row in session.execute(sql, params)]

    def _articles(
        self,
        session: Session,
        terms: Sequence[str],
        prefix: bool,
        statuses: Sequence[str] | None,
        limit: int,
        title_tier: bool,
    ) -> list[Ranked]:
        column = "title_vector" if title_tier else "search_vector"
        bound = TITLE_CANDIDATES if title_tier else CANDIDATES
        return self._ranked(
            session,
            "article",
            column,
            self.ARTICLE_WEIGHTS,
            terms,
            prefix,
            False,
            statuses,
            limit,
            bound,
        )

    def similar_articles(
        self, session: Session, terms: Sequence[str], statuses: Sequence[str], limit: int
    ) -> list[Ranked]:
        if not terms:
            return []
        return self._ranked(
            session,
            "article",
            "search_vector",
            self.ARTICLE_WEIGHTS,
            terms,
            False,
            True,
            statuses,
            limit,
            CANDIDATES,
        )

    def similar_cases(
        self,
        session: Session,
        terms: Sequence[str],
        statuses: Sequence[str],
        exclude_id: int | None,
        limit: int,
    ) -> list[Ranked]:
        if not terms:
            return []
        return self._ranked(
            session,
            "case",
            "search_vector",
            self.CASE_WEIGHTS,
            terms,
            False,
            True,
            statuses,
            limit,
            CANDIDATES,
            exclude_id,
        )

    def table_rows(self, session: Session, table: str) -> float:
        stats = self._lexeme_stats(session, table, "search_vector")
        return stats.rows if stats is not None else 0.0

    def doc_counts(
        self, session: Session, table: str, terms: Sequence[str], common: float
    ) -> dict[str, float]:
        """Estimated from the lexeme statistics (no query); never analysed: all 1 (rare)."""
        stats = self._lexeme_stats(session, table, "search_vector")
        if stats is None:
            return {t: 1.0 for t in terms}
        return {t: stats.share(t) * stats.rows for t in terms}

    def missing(self, session: Session) -> list[str]:
        found = {
            f"{table}.{column}"
            for table, column in session.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND column_name IN "
                    "('search_vector', 'title_vector')"
                )
            ).all()
        }
        found |= set(
            session.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND indexname IN ('ix_article_search', 'ix_article_title_search', "
                    "'ix_case_search')"
                )
            ).scalars()
        )
        wanted = [
            "article.search_vector",
            "article.title_vector",
            "case.search_vector",
            "ix_article_search",
            "ix_article_title_search",
            "ix_case_search",
        ]
        return [name for name in wanted if name not in found]

    def rebuild(self, session: Session) -> None:
        """Generated columns are recomputed by the server on every write and cannot drift;
        this rebuilds their GIN indexes and refreshes the statistics the planner uses."""
        self.check(session)
        for index in ("ix_article_search", "ix_article_title_search", "ix_case_search"):
            session.execute(text(f"REINDEX INDEX {index}"))
        session.execute(text('ANALYZE article, "case"'))
        with self._lock:
            self._stats.clear()


_SQLITE = SqliteIndex()
_POSTGRES = PostgresIndex()


def index_for(session: Session) -> SearchIndex:
    """The search index of the session's database."""
    return _SQLITE if session.get_bind().dialect.name == "sqlite" else _POSTGRES
