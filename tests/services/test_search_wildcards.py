"""Issue 10, point 4 (services): what a person types into a search box is matched as
text — ``%``, ``_`` and ``\\`` are literal everywhere a LIKE/ILIKE is built from it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.services.context import contains_pattern
from casedesk.services.directory import customers
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World

TITLES = ["50% descuento", "5000 descuento", "mi_router", "miXrouter", r"ruta C:\temp",
          "ruta C:temp"]


@pytest.fixture
def titled(world: World) -> dict[str, int]:
    return {
        t: cases.create_case(world.desk, world.ana, title=t, queue="technical").number
        for t in TITLES
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("%", ["50% descuento"]), ("50%", ["50% descuento"]), ("_", ["mi_router"]),
     ("mi_r", ["mi_router"]), ("\\", [r"ruta C:\temp"]), (r"C:\t", [r"ruta C:\temp"]),
     ("%%", []), ("descuento", ["50% descuento", "5000 descuento"])],
)
def test_case_search_and_queue_filter_match_wildcards_literally(
    world: World, titled: dict[str, int], typed: str, expected: list[str]
) -> None:
    found = sorted(r.title for r in reads.search_cases(world.desk, typed))
    assert found == sorted(expected)
    page = reads.inbox(world.desk, "technical", text=typed)
    assert sorted(r.title for r in page.rows) == sorted(expected)
    inbox = reads.inbox(world.desk, "technical", text=typed)
    assert sorted(r.title for r in inbox.rows) == sorted(expected)


def test_contact_lookup_matches_wildcards_literally(world: World) -> None:
    customers.add_contact(world.desk, name="Ana_Gil", email="ana_gil@example.com")
    customers.add_contact(world.desk, name="AnaXGil", email="anaxgil@example.com")
    customers.add_contact(world.desk, name="100% Hogar", email="hogar@example.com")
    assert [c["name"] for c in customers.find_contacts(world.desk, "a_g")] == ["Ana_Gil"]
    # issue 15.2: the lookup folds punctuation away (one rule), so "%" alone looks for
    # nothing, and is never a wildcard that offers every contact
    assert customers.find_contacts(world.desk, "%") == []
    assert [c["name"] for c in customers.find_contacts(world.desk, "100%")] == ["100% Hogar"]
    assert customers.find_contacts(world.desk, "\\") == []


@given(st.text(max_size=30))
def test_contains_pattern_escapes_every_wildcard(text: str) -> None:
    pattern = contains_pattern(text)
    assert pattern.startswith("%") and pattern.endswith("%")
    body = pattern[1:-1]
    unescaped, i = [], 0
    while i < len(body):  # every %, _ and \ in the body is escaped by a backslash
        if body[i] == "\\":
            assert body[i + 1] in "%_\\"
            unescaped.append(body[i + 1])
            i += 2
        else:
            assert body[i] not in "%_"
            unescaped.append(body[i])
            i += 1
    assert "".join(unescaped) == text


def test_unknown_filter_values_are_refused(world: World) -> None:
    from casedesk.errors import ValidationError

    for filters in ({"status": "bogus"}, {"priority": "urgent"}, {"severity": "HIGH"}):
        with pytest.raises(ValidationError, match="is not one of"):
            reads.inbox(world.desk, "technical", **filters)
    with pytest.raises(ValidationError, match="status 'bogus' is not one of new"):
        reads.list_cases(world.desk, status="bogus")
    assert reads.list_cases(world.desk, status="new") == []
