"""``casedesk demo`` ships its knowledge base in Spanish and English (issue 15 point 9)."""

from __future__ import annotations

from casedesk.services import demo
from casedesk.services.context import Desk
from casedesk.services.demo_articles import ARTICLES
from casedesk.services.knowledge import library


def _titles(desk: Desk, query: str) -> list[str]:
    return [hit.title for hit in library.search(desk, query, limit=50)]


def test_the_articles_come_in_pairs_of_both_languages() -> None:
    assert 6 <= len(ARTICLES) // 2 <= 10
    assert [a.language for a in ARTICLES] == ["es", "en"] * (len(ARTICLES) // 2)
    assert len({a.title for a in ARTICLES}) == len(ARTICLES)
    assert all(a.body.strip() and a.keywords.strip() for a in ARTICLES)


def test_demo_publishes_articles_search_finds_in_both_languages(desk: Desk) -> None:
    report = demo.seed(desk, cases=0)
    assert report["articles"] == len(ARTICLES)
    # every shipped article is published: searching its own title finds it first
    for article in ARTICLES:
        assert _titles(desk, article.title)[0] == article.title
    # the same problem, asked in either language (accents and case forgiven)
    spanish = _titles(desk, "SIN CONEXION a internet")
    english = _titles(desk, "no internet connection")
    assert "Sin conexión a internet (Fibra 600 Mb)" in spanish
    assert "No internet connection (Fibra 600 Mb)" in english
    assert "Cargo duplicado en la factura" in _titles(desk, "cargo duplicado")
    assert "Duplicate charge on the invoice" in _titles(desk, "duplicate charge")
    assert {"El router se reinicia solo (Router wifi 6)",
            "The router restarts by itself (Router wifi 6)"} <= set(_titles(desk, "router"))
    # a word typed halfway is a prefix: "portab" finds both porting articles' keywords
    assert "Portabilidad de una línea móvil" in _titles(desk, "portab")
    assert "Porting a mobile line" in _titles(desk, "porting")
