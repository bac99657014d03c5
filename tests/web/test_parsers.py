"""Property tests of what the portal reads from outside: amounts, Accept-Language,
tokens, and the rate limit's arithmetic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.errors import ValidationError
from casedesk.services.portal.language import best_language
from casedesk.services.portal.quotes import parse_amount
from casedesk.services.portal.tokens import new_token, token_hash
from casedesk.web.ratelimit import RateLimit


@given(st.integers(0, 10**12 - 1), st.integers(0, 99), st.sampled_from([".", ","]))
def test_an_amount_written_with_two_decimals_is_its_cents(whole: int, cents: int, sep: str
                                                           ) -> None:
    assert parse_amount(f"{whole}{sep}{cents:02d}") == whole * 100 + cents
    assert parse_amount(f" {whole} ") == whole * 100


@given(st.text(max_size=30))
def test_any_text_is_an_amount_or_one_validation_error(text: str) -> None:
    try:
        cents = parse_amount(text)
    except ValidationError:
        return
    assert 0 <= cents < 10**14


@given(st.text(max_size=200))
def test_any_accept_language_gives_a_language_the_desk_speaks(header: str) -> None:
    assert best_language(header) in ("en", "es")


@pytest.mark.parametrize("header,code", [
    ("es-ES,es;q=0.9,en;q=0.8", "es"), ("en-GB,es;q=0.5", "en"), ("fr-FR", "en"),
    ("fr, es;q=0.1", "es"), ("es;q=0", "en"), ("", "en"), ("en;q=0.2, es;q=0.9", "es")])
def test_accept_language_by_quality(header: str, code: str) -> None:
    assert best_language(header) == code


def test_tokens_are_random_and_stored_as_their_hash() -> None:
    tokens = {new_token() for _ in range(200)}
    assert len(tokens) == 200 and all(len(t) == 43 for t in tokens)
    token = tokens.pop()
    assert len(token_hash(token)) == 64 and token not in token_hash(token)


@given(st.lists(st.floats(0, 100, allow_nan=False), max_size=60), st.integers(1, 6))
def test_never_more_than_the_limit_in_any_window(gaps: list[float], limit: int) -> None:
    now = [0.0]
    rate = RateLimit(limit, 10.0, clock=lambda: now[0])
    allowed: list[float] = []
    for gap in gaps:
        now[0] += gap
        if rate.allow("1.2.3.4"):
            allowed.append(now[0])
    for i, t in enumerate(allowed):
        assert sum(1 for u in allowed[i:] if u < t + 10.0) <= limit
    assert rate.allow("5.6.7.8")  # another address has its own window
