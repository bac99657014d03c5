"""Guidance: the published articles and solved cases most like a case, as it opens.

Ranking lives in the search index (:mod:`casedesk.services.knowledge.search`); this fuses
its two lists (articles matching the case's words, articles used on similar solved cases)
by reciprocal rank.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from casedesk.db import read_session
from casedesk.i18n import _
from casedesk.models import Article, ArticleLink, Case
from casedesk.services.context import Desk, load_case
from casedesk.services.knowledge.folding import content_terms, snippet
from casedesk.services.knowledge.library import PUBLISHED, SOLVED, articles_by_id
from casedesk.services.knowledge.search import index_for
from casedesk.services.numbers import article_label, case_label
from casedesk.services.queries.views import Guidance, GuidanceArticle, SimilarCase

#: Reciprocal-rank-fusion constant for guidance (small: the lists are short).
RRF_K = 10
#: How many similar cases are looked at for the articles that solved them.
SIMILAR_CASES = 20


def guidance(desk: Desk, case_number: str | int, limit: int = 5) -> Guidance:
    """The published articles and solved cases most like a case, as it opens.

    The case's title and description give the words (stop words out, the rarest first);
    similar resolved/closed cases are ranked on their title, description and resolution
    notes. Articles come from two lists fused by reciprocal rank: articles matching the
    words, and articles used on or sent from those similar cases.
    """
    with read_session(desk.engine) as session:
        index = index_for(session)
        index.prepare(session)
        case = load_case(session, case_number)
        words = content_terms(f"{case.title}\n{case.description or ''}")
        case_terms = index.telling_terms(session, "case", words)
        article_terms = index.telling_terms(session, "article", words)
        similar = index.similar_cases(session, case_terms, SOLVED, case.id, SIMILAR_CASES)
        by_text = index.similar_articles(session, article_terms, PUBLISHED, 2 * limit)
        case_rows = {
            c.id: c
            for c in session.execute(
                select(Case).where(col(Case.id).in_([r.id for r in similar]))
            ).scalars()
        }
        used: dict[int, list[int]] = {}
        if similar:
            for article_id, case_id in session.execute(
                select(col(ArticleLink.article_id), col(ArticleLink.case_id))
                .join(Article, col(Article.id) == col(ArticleLink.article_id))
                .where(
                    col(ArticleLink.case_id).in_([r.id for r in similar]),
                    col(Article.status).in_(PUBLISHED),
                )
                .distinct()
            ).all():
                used.setdefault(case_id, []).append(article_id)
        scores: dict[int, float] = {}
        reasons: dict[int, list[str]] = {}
        for rank, ranked in enumerate(by_text, 1):
            scores[ranked.id] = scores.get(ranked.id, 0.0) + 1 / (RRF_K + rank)
            reasons.setdefault(ranked.id, []).append(_("matches the case's words"))
        for rank, ranked in enumerate(similar, 1):
            for article_id in used.get(ranked.id, []):
                scores[article_id] = scores.get(article_id, 0.0) + 1 / (RRF_K + rank)
                note = _("used on {case}").format(case=case_label(case_rows[ranked.id].number))
                reasons.setdefault(article_id, []).append(note)
        best = sorted(scores, key=lambda i: (-scores[i], -i))[:limit]
        articles = articles_by_id(session, best + [a for ids in used.values() for a in ids])
        labels = {i: article_label(a.number) for i, a in articles.items()}
        return Guidance(
            case=case_label(case.number),
            terms=sorted(set(case_terms) | set(article_terms), key=words.index),
            articles=[
                GuidanceArticle(
                    id=i,
                    number=articles[i].number,
                    label=labels[i],
                    title=articles[i].title,
                    snippet=snippet(articles[i].body, article_terms),
                    score=round(scores[i], 6),
                    used_count=articles[i].used_count,
                    reasons=reasons[i],
                )
                for i in best
                if i in articles
            ],
            cases=[
                SimilarCase(
                    id=r.id,
                    number=case_rows[r.id].number,
                    label=case_label(case_rows[r.id].number),
                    title=case_rows[r.id].title,
                    status=case_rows[r.id].status,
                    resolution_type=case_rows[r.id].resolution_type,
                    resolution_notes=case_rows[r.id].resolution_notes,
                    score=r.score,
                    articles=[labels[a] for a in used.get(r.id, []) if a in labels],
                )
                for r in similar[:limit]
                if r.id in case_rows
            ],
        )
