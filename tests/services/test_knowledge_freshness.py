"""The knowledge base's change token (the case screen's suggestions follow it), on both
databases."""

from __future__ import annotations

from datetime import timedelta

from casedesk.services.knowledge import freshness, library
from tests.conftest import World


def test_the_token_moves_with_every_article_change(world: World) -> None:
    desk = world.desk
    empty = freshness.articles_token(desk)
    assert empty == freshness.articles_token(desk) == (0, "", 0)
    article = library.add_article(desk, world.sup, title="Reiniciar el router",
                                    keywords="router", body="Desenchúfalo 30 s.")
    added = freshness.articles_token(desk)
    assert added != empty and added[2] == 1
    desk.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    library.publish(desk, world.sup, article.label)
    published = freshness.articles_token(desk)
    assert published != added
    assert freshness.articles_token(desk) == published  # nothing changed: the same
    desk.clock.advance(timedelta(seconds=5))  # type: ignore[attr-defined]
    library.retire(desk, world.sup, article.label)
    assert freshness.articles_token(desk) != published
