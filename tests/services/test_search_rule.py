"""Issue 15, point 2: one search rule wherever a person types a name, title, case number,
phone or e-mail — case-, accent- and separator-insensitive, prefix while typing, indexed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from casedesk.db import is_sqlite
from casedesk.services.directory import customers
from casedesk.services.knowledge.folding import fold
from casedesk.services.queries import reads
from casedesk.services.workflow import cases
from tests.conftest import World

NAMES = ["Laura Gómez", "Ana-María Pérez Núñez", "José Ángel O'Connor", "Lucía Martín",
         "Laura Martínez"]


@pytest.fixture
def people(world: World) -> dict[str, int]:
    return {
        name: customers.add_contact(
            world.desk, name=name,
            email=f"{fold(name).replace(' ', '.').replace('..', '.')}@example.com",
            phone=f"+34 600 {n:03d} {n * 7:03d}")
        for n, name in enumerate(NAMES, start=1)
    }


def _names(world: World, typed: str) -> list[str]:
    return [str(c["name"]) for c in customers.find_contacts(world.desk, typed)]


@pytest.mark.parametrize("typed", ["laura gomez", "LAURA GÓMEZ", "gómez laura", "Gomez",
                                   "lauragom", "laura-gó", "GOM LAU", "  laura   gómez "])
def test_a_name_is_found_whatever_its_accents_case_separators_and_word_order(
    world: World, people: dict[str, int], typed: str
) -> None:
    assert "Laura Gómez" in _names(world, typed)
    assert "Lucía Martín" not in _names(world, typed)


def test_a_whole_name_prefix_comes_before_word_matches(
    world: World, people: dict[str, int]
) -> None:
    found = _names(world, "laura")
    assert set(found) == {"Laura Gómez", "Laura Martínez"}
    assert _names(world, "laura gomez")[0] == "Laura Gómez"
    assert set(_names(world, "martin")) == {"Laura Martínez", "Lucía Martín"}


def test_email_and_phone_prefixes_find_the_contact(world: World, people: dict[str, int]) -> None:
    assert _names(world, "LAURA.GOMEZ@EX") == ["Laura Gómez"]
    assert _names(world, "+34 600-001") == ["Laura Gómez"]
    assert _names(world, "34600002") == ["Ana-María Pérez Núñez"]
    assert _names(world, "%") == [] and _names(world, "_") == [] and _names(world, "") == []


def _variant(name: str, data: st.DataObject) -> str:
    """``name`` as someone may type it: any case, accents dropped or kept, any separators
    between its words, cut to a prefix of at least one letter."""
    words = []
    for word in re.findall(r"[^\W_]+", name):
        letters = []
        for ch in word:
            if data.draw(st.booleans()):
                ch = unicodedata.normalize("NFKD", ch)[0]
            letters.append(ch.upper() if data.draw(st.booleans()) else ch.lower())
        words.append("".join(letters))
    separators = st.sampled_from(["", " ", "  ", "-", ".", ", ", "'"])
    typed = words[0] + "".join(data.draw(separators) + w for w in words[1:])
    cut = data.draw(st.integers(min_value=1, max_value=len(typed)))
    return typed[:cut] if typed[:cut].strip(" -.,'") else typed


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_case_accent_separator_variant_or_prefix_of_a_stored_name_finds_it(
    world: World, people: dict[str, int], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(NAMES))
    typed = _variant(name, data)
    assert name in _names(world, typed), typed


@contextmanager
def _statements(world: World) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(world.desk.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(world.desk.engine, "before_cursor_execute", record)


def _plan(world: World, statement: str, parameters: Any) -> str:
    with world.desk.engine.connect() as conn:
        if is_sqlite(world.desk.engine):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(str(r[-1]) for r in rows)
        conn.exec_driver_sql("SET enable_seqscan = off")  # tiny tables: ask what it *can* do
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(str(r[0]) for r in rows)


@pytest.mark.parametrize("typed", ["lau", "gómez laura", "laura.gomez@", "+34 600 00"])
def test_every_lookup_query_is_served_by_an_index(
    world: World, people: dict[str, int], typed: str
) -> None:
    with _statements(world) as seen:
        assert customers.find_contacts(world.desk, typed)
    queries = [(s, p) for s, p in seen
               if "contact" in s and s.lstrip().upper().startswith("SELECT")]
    assert queries
    for statement, parameters in queries:
        plan = _plan(world, statement, parameters)
        if is_sqlite(world.desk.engine):
            assert not re.search(r"\bSCAN contact\b(?!_fts)", plan), plan
            assert "TEMP B-TREE" not in plan, plan  # the index gives the order too
        else:
            assert "Seq Scan on contact" not in plan, plan
            assert "Sort" not in plan, plan
            assert re.search(r"ix_contact_\w+|contact_pkey|ux_contact_email_key", plan), plan


def test_the_word_and_key_prefix_indexes_are_the_ones_used(
    world: World, people: dict[str, int]
) -> None:
    with _statements(world) as seen:
        customers.find_contacts(world.desk, "gomez lau")
        customers.find_contacts(world.desk, "34600")
    plans = "\n".join(_plan(world, s, p) for s, p in seen if "contact" in s)
    if is_sqlite(world.desk.engine):
        assert "contact_fts VIRTUAL TABLE" in plans
        assert "ix_contact_name_key" in plans and "ix_contact_phone_key" in plans
    else:
        assert "ix_contact_name_words" in plans
        assert "ix_contact_name_key_prefix" in plans and "ix_contact_phone_key_prefix" in plans


def test_a_renamed_or_deleted_contact_is_found_by_its_new_name_only(
    world: World, people: dict[str, int]
) -> None:
    from sqlalchemy import text

    with world.desk.engine.begin() as conn:
        conn.execute(text("UPDATE contact SET name = 'Laura Sánchez', name_key = 'laurasanchez' "
                          "WHERE id = :i"), {"i": people["Laura Gómez"]})
        conn.execute(text("DELETE FROM contact WHERE id = :i"), {"i": people["Lucía Martín"]})
    assert "Laura Sánchez" in _names(world, "sanchez")
    assert _names(world, "gomez") == []
    assert _names(world, "lucia") == []


# --- the case lists' text filter and case search ------------------------------------


@pytest.fixture
def filed(world: World, people: dict[str, int]) -> dict[str, int]:
    opened: dict[str, int] = {}
    for title, who in (("Caída de fibra en Sevilla", "Laura Gómez"),
                       ("50% de descuento no aplicado", "Lucía Martín"),
                       ("Router sin conexión", "Ana-María Pérez Núñez")):
        opened[title] = cases.create_case(world.desk, world.ana, title=title, queue="technical",
                                          contact_id=people[who]).number
    return opened


def _filters(world: World) -> list[Callable[[str], list[str]]]:
    return [lambda t: sorted(r.title for r in reads.inbox(world.desk, "technical", text=t).rows),
            lambda t: sorted(r.title for r in reads.search_cases(world.desk, t))]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("caida FIBRA", ["Caída de fibra en Sevilla"]),
     ("sevilla caída", ["Caída de fibra en Sevilla"]),
     ("gomez laura", ["Caída de fibra en Sevilla"]), ("NUNEZ", ["Router sin conexión"]),
     ("+34 600 001 007", ["Caída de fibra en Sevilla"]), ("600002014", ["Router sin conexión"]),
     ("lucia.martin@example", ["50% de descuento no aplicado"]),
     ("%", ["50% de descuento no aplicado"]), ("_", []), ("%%", []),
     ("conexion", ["Router sin conexión"])],
)
def test_the_inbox_filter_and_case_search_follow_the_rule(
    world: World, filed: dict[str, int], typed: str, expected: list[str]
) -> None:
    for find in _filters(world):
        assert find(typed) == expected, typed


def test_a_case_number_typed_any_way_finds_that_case(world: World, filed: dict[str, int]) -> None:
    number = filed["Router sin conexión"]
    for typed in (f"CS-{number:06d}", f"cs{number}", str(number), f"{number:06d}"):
        for find in _filters(world):
            assert "Router sin conexión" in find(typed), typed


def test_a_phone_is_found_by_its_groups_or_its_whole_local_number(
    world: World, people: dict[str, int]
) -> None:
    assert _names(world, "600 001") == ["Laura Gómez"]
    assert _names(world, "34600001007") == ["Laura Gómez"]
    assert _names(world, "001 600") == ["Laura Gómez"]
