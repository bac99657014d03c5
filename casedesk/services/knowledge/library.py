"""The knowledge base: articles (``KB-000042``), their search, and what agents do with them.

Rules:

* Any agent drafts articles and edits drafts; supervisors and admins also edit published
  and retired ones, publish (draft/retired → published) and retire. Deleting is for the
  author of a draft, or a supervisor.
* Edits carry an optional ``version``: the update only lands if nobody changed the
  article since (optimistic locking), otherwise :class:`~casedesk.errors.StaleVersion`.
* Linking an article to a case as "used" is idempotent; sending it to the customer is an
  outbound e-mail on the case (which meets the SLA response), a "sent" link with the
  contact, and one more use — all in one transaction. ``used_count`` counts the links.
* Search (:func:`search`) and guidance (:mod:`casedesk.services.knowledge.guidance`) are
  described in
  :mod:`casedesk.services.knowledge.folding` (text rules) and
  :mod:`casedesk.services.knowledge.search` (ranking on each database).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from time import perf_counter
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from casedesk.db import read_session, write_session
from casedesk.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationError,
)
from casedesk.i18n import N_, _
from casedesk.labels import label as code_label
from casedesk.models import Agent, Article, ArticleLink, ArticleStatus, Case, Contact, Status
from casedesk.models.base import saved_id
from casedesk.services.context import (
    Actor,
    Desk,
    in_id_range,
    load_case,
    require_supervisor,
    searchable,
    storable,
    storable_id,
)
from casedesk.services.knowledge.folding import (
    parse_query,
    snippet,
)
from casedesk.services.knowledge.search import index_for
from casedesk.services.mail.replies import mail_for_interaction
from casedesk.services.numbers import (
    article_label,
    case_label,
    claim_numbers,
    parse_article_number,
    shown_number,
)
from casedesk.services.queries.views import (
    ArticleHit,
    ArticleLinkView,
    ArticleView,
    InteractionView,
    ReindexReport,
)
from casedesk.services.workflow.cases import require_work_on
from casedesk.services.workflow.changes import record_event
from casedesk.services.workflow.interactions import log_interaction

__all__ = [
    "add_article",
    "delete_article",
    "draft_from_case",
    "edit_article",
    "get_article",
    "link_case",
    "publish",
    "reindex",
    "retire",
    "search",
    "send_to_customer",
]

#: Statuses a search shows unless told otherwise.
PUBLISHED = (ArticleStatus.published.value,)
#: Case statuses whose solutions guide agents.
SOLVED = (Status.resolved.value, Status.closed.value)


# --- helpers ----------------------------------------------------------------------------


def _number(text: str | int) -> int:
    """An article number from ``KB-000042``, ``42`` or an int; beyond 2**63 - 1 none exists."""
    if isinstance(text, bool):
        raise ValidationError(_("{text} is not an article number (expected e.g. KB-000042)")
                              .format(text=repr(text)))
    if isinstance(text, str) and len(text.strip()) > 40:
        raise NotFound(_("no article {article}").format(article=text.strip()[:40] + "…"))
    number = parse_article_number(text)
    if number is None:
        if isinstance(text, str) and text.strip().isdigit():
            number = int(text.strip())
        else:
            raise ValidationError(
                _("{text} is not an article number (expected e.g. KB-000042)").format(
                    text=repr(text))
            )
    if not in_id_range(number):
        raise NotFound(_("no article {article}: article numbers run from 1 to "
                         "2**63 - 1").format(article=shown_number(number)))
    return number


def _load(session: Session, number: str | int) -> Article:
    num = _number(number)
    article = session.scalars(
        select(Article).where(col(Article.number) == num)
    ).one_or_none()
    if article is None:
        raise NotFound(_("no article {article}: see `casedesk kb search`").format(
            article=article_label(num)))
    return article


def _clean_title(title: str | None) -> str:
    title = storable(" ".join((title or "").split()), N_("the title"))
    if not title:
        raise ValidationError(_("an article needs a title"))
    if len(title) > 300:
        raise ValidationError(_("the title is {length} characters long; 300 at most").format(
            length=len(title)))
    return title


def _clean_keywords(keywords: str | Sequence[str] | None) -> str:
    """``"wifi; Router, wifi"`` → ``"wifi, Router"`` (split on , and ;, duplicates out)."""
    items = re.split(r"[,;\n]", keywords) if isinstance(keywords, str) else list(keywords or [])
    seen: dict[str, str] = {}
    for item in items:
        word = " ".join(item.split())
        if word:
            seen.setdefault(word.casefold(), word)
    joined = storable(", ".join(seen.values()), N_("the keywords"))
    if len(joined) > 1000:
        raise ValidationError(
            _("the keywords are {length} characters long; 1000 at most").format(
                length=len(joined)))
    return joined


def _view(session: Session, article_id: int, links: int = 50) -> ArticleView:
    author = aliased(Agent)
    row = session.execute(
        select(Article, col(author.login), col(author.name), col(Case.number))
        .outerjoin(author, col(author.id) == col(Article.author_id))
        .outerjoin(Case, col(Case.id) == col(Article.source_case_id))
        .where(col(Article.id) == article_id)
        .execution_options(populate_existing=True)
    ).one()
    article, login, name, source = row
    link_agent = aliased(Agent)
    link_rows = session.execute(
        select(
            ArticleLink,
            col(Case.number),
            col(Case.title),
            col(link_agent.login),
            col(Contact.name),
        )
        .join(Case, col(Case.id) == col(ArticleLink.case_id))
        .outerjoin(link_agent, col(link_agent.id) == col(ArticleLink.agent_id))
        .outerjoin(Contact, col(Contact.id) == col(ArticleLink.contact_id))
        .where(col(ArticleLink.article_id) == article_id)
        .order_by(col(ArticleLink.at).desc(), col(ArticleLink.id).desc())
        .limit(links)
    ).all()
    return ArticleView(
        id=saved_id(article.id),
        number=article.number,
        label=article_label(article.number),
        title=article.title,
        keywords=article.keywords,
        body=article.body,
        status=article.status,
        author=login,
        author_name=name,
        source_case=case_label(source) if source is not None else None,
        created_at=article.created_at,
        updated_at=article.updated_at,
        used_count=article.used_count,
        version=article.version,
        external_id=article.external_id,
        links=[
            ArticleLinkView(link.kind, case_label(number), title, agent, contact, link.at)
            for link, number, title, agent, contact in link_rows
        ],
    )


def _change(
    session: Session,
    article: Article,
    values: dict[str, Any],
    now: datetime,
    version: int | None,
) -> None:
    """Update ``article`` only if it is still at ``version`` (or as read); bump the version."""
    if version is not None and not 0 < version < 2**31:
        raise ValidationError(
            _("{article} has no version {version}: reload it and try again").format(
                article=article_label(article.number), version=shown_number(version))
        )
    seen = article.version if version is None else version
    # an UPDATE's result is a CursorResult (it has the rowcount)
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Article)
            .where(col(Article.id) == article.id, col(Article.version) == seen)
            .values(**values, version=seen + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if result.rowcount != 1:
        current = session.execute(
            select(col(Article.version)).where(col(Article.id) == article.id)
        ).scalar_one()
        raise StaleVersion(
            _("{article} was changed by somebody else (version {current}, "
              "you had {seen}): reload it and try again").format(
                article=article_label(article.number), current=current, seen=seen)
        )


def _may_edit(actor: Actor, article: Article) -> None:
    if article.status != ArticleStatus.draft and not actor.is_supervisor:
        raise PermissionDenied(
            _("{article} is {status}: only supervisors may edit "
              "it; {login} is an {role}").format(
                article=article_label(article.number),
                status=code_label("article_status", article.status), login=actor.login,
                role=code_label("role", actor.role))
        )


# --- articles ---------------------------------------------------------------------------


def add_article(
    desk: Desk,
    actor: Actor,
    *,
    title: str,
    keywords: str | Sequence[str] = "",
    body: str = "",
    external_id: str | None = None,
) -> ArticleView:
    """Draft a new article; any agent may."""
    title = _clean_title(title)
    keywords = _clean_keywords(keywords)
    storable(body or "", N_("the body"))
    now = desk.now()
    with write_session(desk.engine) as session:
        if (
            external_id is not None
            and session.execute(
                select(col(Article.id)).where(col(Article.external_id) == external_id)
            ).first()
        ):
            raise ConflictError(_("an article with external id {id} already exists").format(
                id=repr(external_id)))
        number = _claim(session)
        article_id = session.execute(
            insert(Article)
            .values(
                number=number,
                title=title,
                keywords=keywords,
                body=body or "",
                status=ArticleStatus.draft.value,
                author_id=actor.id,
                created_at=now,
                updated_at=now,
                used_count=0,
                version=1,
                external_id=external_id,
            )
            .returning(col(Article.id))
        ).scalar_one()
        return _view(session, article_id)


def _claim(session: Session) -> int:
    return claim_numbers(session, "article")[0]


def edit_article(
    desk: Desk,
    actor: Actor,
    number: str | int,
    *,
    version: int | None = None,
    title: str | None = None,
    keywords: str | Sequence[str] | None = None,
    body: str | None = None,
) -> ArticleView:
    """Change title, keywords and/or body, only if the article is still at ``version``."""
    values: dict[str, Any] = {}
    if title is not None:
        values["title"] = _clean_title(title)
    if keywords is not None:
        values["keywords"] = _clean_keywords(keywords)
    if body is not None:
        values["body"] = storable(body, N_("the body"))
    now = desk.now()
    with write_session(desk.engine) as session:
        article = _load(session, number)
        _may_edit(actor, article)
        if version is not None and version != article.version:
            if not 0 < version < 2**31:
                raise ValidationError(
                    _("{article} has no version {version}: reload it and try again").format(
                        article=article_label(article.number), version=shown_number(version))
                )
            raise StaleVersion(
                _("{article} was changed by somebody else (version {current}, "
                  "you had {seen}): reload it and try again").format(
                    article=article_label(article.number), current=article.version,
                    seen=version)
            )
        values = {k: v for k, v in values.items() if getattr(article, k) != v}
        if values:
            _change(session, article, values, now, version)
        return _view(session, saved_id(article.id))


def get_article(desk: Desk, number: str | int) -> ArticleView:
    """An article by number (``KB-000042``, ``kb-42``, ``42``), with its latest links."""
    with read_session(desk.engine) as session:
        return _view(session, saved_id(_load(session, number).id))


def publish(
    desk: Desk, actor: Actor, number: str | int, *, version: int | None = None
) -> ArticleView:
    """Supervisors: make a draft (or a retired article) visible to searches and guidance."""
    require_supervisor(actor, N_("publish articles"))
    now = desk.now()
    with write_session(desk.engine) as session:
        article = _load(session, number)
        label = article_label(article.number)
        if article.status == ArticleStatus.published:
            raise InvalidTransition(_("{article} is already published").format(article=label))
        if not article.body.strip():
            raise ValidationError(_("{article} has no body: write it before publishing").format(
                article=label))
        _change(session, article, {"status": ArticleStatus.published.value}, now, version)
        return _view(session, saved_id(article.id))


def retire(
    desk: Desk, actor: Actor, number: str | int, *, version: int | None = None
) -> ArticleView:
    """Supervisors: withdraw an article (kept, with its links, but no longer suggested)."""
    require_supervisor(actor, N_("retire articles"))
    now = desk.now()
    with write_session(desk.engine) as session:
        article = _load(session, number)
        if article.status == ArticleStatus.retired:
            raise InvalidTransition(_("{article} is already retired").format(
                article=article_label(article.number)))
        _change(session, article, {"status": ArticleStatus.retired.value}, now, version)
        return _view(session, saved_id(article.id))


def delete_article(desk: Desk, actor: Actor, number: str | int) -> str:
    """Delete an article and its links: its author while a draft, else supervisors only."""
    with write_session(desk.engine) as session:
        article = _load(session, number)
        label = article_label(article.number)
        own_draft = article.status == ArticleStatus.draft and article.author_id == actor.id
        if not (own_draft or actor.is_supervisor):
            raise PermissionDenied(
                _("only supervisors may delete {article} ({status}); authors may delete "
                  "their own drafts").format(
                    article=label, status=code_label("article_status", article.status))
            )
        session.execute(delete(ArticleLink).where(col(ArticleLink.article_id) == article.id))
        session.execute(delete(Article).where(col(Article.id) == article.id))
        return label


# --- search -----------------------------------------------------------------------------


def search(
    desk: Desk,
    text: str,
    *,
    statuses: Sequence[str] | None = PUBLISHED,
    limit: int = 20,
) -> list[ArticleHit]:
    """Articles for search-box text, best first (``statuses=None``: any status).

    ``KB-000042`` / ``kb-42`` finds that article only; bare digits put that article first.
    Words match folded (``facturacion`` finds ``facturación``), the last one as a prefix
    while typing (``fac`` finds ``factura``); stop words are ignored. Title and keyword
    matches rank above body matches.
    """
    query = parse_query(searchable(text))
    if query.empty or limit <= 0:
        return []
    with read_session(desk.engine) as session:
        index = index_for(session)
        index.prepare(session)
        wanted = list(statuses) if statuses is not None else None
        scored: list[tuple[int, float]] = []
        if query.number is not None and in_id_range(query.number):
            stmt = select(col(Article.id)).where(col(Article.number) == query.number)
            if wanted is not None:
                stmt = stmt.where(col(Article.status).in_(wanted))
            found = session.execute(stmt).scalar_one_or_none()
            if found is not None:
                scored.append((found, float("inf")))
        if not query.exact_number and query.terms:
            ranked = index.search_articles(session, query.terms, query.prefix, wanted, limit)
            first = {i for i, _ in scored}
            scored += [(r.id, r.score) for r in ranked if r.id not in first]
        scored = scored[:limit]
        rows = articles_by_id(session, [i for i, _ in scored])
        return [
            ArticleHit(
                id=article_id,
                number=a.number,
                label=article_label(a.number),
                title=a.title,
                keywords=a.keywords,
                status=a.status,
                snippet=snippet(a.body, query.terms, query.prefix),
                score=score,
                used_count=a.used_count,
                updated_at=a.updated_at,
            )
            for article_id, score in scored
            if (a := rows.get(article_id)) is not None
        ]


def articles_by_id(session: Session, ids: list[int]) -> dict[int, Article]:
    if not ids:
        return {}
    return {
        saved_id(a.id): a
        for a in session.scalars(select(Article).where(col(Article.id).in_(ids)))
    }


# --- links, sending, the solutions registry -------------------------------------------------


def _link(
    session: Session,
    article: Article,
    case: Case,
    actor: Actor,
    now: datetime,
    kind: str,
    contact_id: int | None = None,
) -> None:
    session.execute(
        insert(ArticleLink).values(
            article_id=article.id,
            case_id=case.id,
            kind=kind,
            agent_id=actor.id,
            contact_id=contact_id,
            at=now,
        )
    )
    session.execute(
        update(Article)
        .where(col(Article.id) == article.id)
        .values(used_count=col(Article.used_count) + 1)
        .execution_options(synchronize_session=False)
    )


def link_case(desk: Desk, actor: Actor, number: str | int, case: str | int) -> ArticleView:
    """Record that an article helped on a case ("used"); once per article and case."""
    now = desk.now()
    with write_session(desk.engine) as session:
        article = _load(session, number)
        label = article_label(article.number)
        if article.status == ArticleStatus.retired:
            raise InvalidTransition(_("{article} is retired: find its replacement").format(
                article=label))
        case_row = load_case(session, case)
        exists = session.execute(
            select(col(ArticleLink.id)).where(
                col(ArticleLink.article_id) == article.id,
                col(ArticleLink.case_id) == case_row.id,
                col(ArticleLink.kind) == "used",
            )
        ).first()
        if exists is None:
            _link(session, article, case_row, actor, now, "used")
            record_event(
                session,
                case_id=saved_id(case_row.id),
                at=now,
                actor_id=actor.id,
                kind="article",
                note=f"used {label}: {article.title}",
                data={"article": label, "link": "used", "title": article.title},
            )
        return _view(session, saved_id(article.id))


def send_to_customer(
    desk: Desk,
    actor: Actor,
    number: str | int,
    case: str | int,
    *,
    contact_id: int | None = None,
    note: str = "",
) -> InteractionView:
    """E-mail a published article to the case's customer (or ``contact_id``), in one go.

    Logs an outbound e-mail interaction on the case carrying the article (the SLA's
    response), links the article as "sent" with the contact, and counts one more use.
    Only the case's owner, a member of its queue or a supervisor may send; the recipient
    is the case's contact or another contact of the case's account (any contact when the
    case has neither yet).
    """
    now = desk.now()
    with write_session(desk.engine) as session:
        article = _load(session, number)
        label = article_label(article.number)
        if article.status != ArticleStatus.published:
            raise InvalidTransition(
                _("{article} is {status}: only published articles go out").format(
                    article=label, status=code_label("article_status", article.status)))
        case_row = load_case(session, case)
        require_work_on(session, actor, case_row, N_("send articles to its customer"))
        contact_id = contact_id if contact_id is not None else case_row.contact_id
        if contact_id is None:
            raise ValidationError(
                _("{case} has no customer contact: say who to send it to").format(
                    case=case_label(case_row.number))
            )
        contact = session.get(Contact, storable_id(contact_id, "contact"))
        if contact is None:
            raise NotFound(_("no contact {id}").format(id=contact_id))
        known = case_row.contact_id is not None or case_row.account_id is not None
        if known and contact.id != case_row.contact_id and (
            case_row.account_id is None or contact.account_id != case_row.account_id
        ):
            raise PermissionDenied(
                _("{name} is not {case}'s customer nor of its "
                  "account: send it from a case of theirs").format(
                    name=contact.name, case=case_label(case_row.number))
            )
        if not contact.email:
            raise ValidationError(_("{name} has no e-mail address: add one first").format(
                name=contact.name))
        storable(note, N_("the note"))
        body = f"{note.strip()}\n\n{article.body}" if note.strip() else article.body
        interaction = log_interaction(
            desk,
            actor,
            channel="email",
            direction="outbound",
            contact_id=contact_id,
            subject=f"{label}: {article.title}",
            notes=body,
            case=case_row.number,
            session=session,
        )
        _link(session, article, case_row, actor, now, "sent", contact_id)
        mail_for_interaction(session, interaction.id, kind="article", to=contact.email,
                             subject=f"{label}: {article.title}", body=body,
                             case_id=saved_id(case_row.id))
        return interaction


def draft_from_case(desk: Desk, actor: Actor, case_number: str | int) -> ArticleView:
    """Draft an article from a resolved case's problem and solution, linked to the case."""
    now = desk.now()
    with write_session(desk.engine) as session:
        case = load_case(session, case_number)
        label = case_label(case.number)
        solution = (case.resolution_notes or "").strip()
        if case.status not in SOLVED or not solution:
            raise InvalidTransition(_("{case} is {status}: resolve it (with notes) first").format(
                case=label, status=code_label("status", case.status)))
        existing = session.execute(
            select(col(Article.number)).where(col(Article.source_case_id) == case.id)
        ).scalar_one_or_none()
        if existing is not None:
            raise ConflictError(_("{case} already has an article: {article}").format(
                case=label, article=article_label(existing)))
        problem = (case.description or "").strip() or case.title
        # the author's first draft, written in the author's language (then edited by them)
        body = "".join((
            "## ", _("Problem"), "\n\n", problem, "\n\n## ", _("Solution"), "\n\n", solution,
            "\n\n_", _("Drafted from {case}.").format(case=label), "_\n",
        ))
        number = _claim(session)
        article_id = session.execute(
            insert(Article)
            .values(
                number=number,
                title=_clean_title(case.title),
                keywords=_clean_keywords([case.area]),
                body=body,
                status=ArticleStatus.draft.value,
                author_id=actor.id,
                source_case_id=case.id,
                created_at=now,
                updated_at=now,
                used_count=0,
                version=1,
            )
            .returning(col(Article.id))
        ).scalar_one()
        article = session.get(Article, article_id)
        assert article is not None
        _link(session, article, case, actor, now, "used")
        record_event(
            session,
            case_id=saved_id(case.id),
            at=now,
            actor_id=actor.id,
            kind="article",
            note=f"drafted {article_label(number)} from this case",
            data={"article": article_label(number), "link": "used", "drafted": True,
                  "title": article.title},
        )
        return _view(session, article_id)


# --- maintenance ------------------------------------------------------------------------


def reindex(desk: Desk, actor: Actor) -> ReindexReport:
    """Supervisors: rebuild the search index from the articles and cases."""
    require_supervisor(actor, N_("rebuild the search index"))
    started = perf_counter()
    with write_session(desk.engine) as session:
        index = index_for(session)
        index.rebuild(session)
        articles = session.execute(select(func.count()).select_from(Article)).scalar_one()
        cases = session.execute(select(func.count()).select_from(Case)).scalar_one()
    return ReindexReport(index.backend, articles, cases, round(perf_counter() - started, 3))
