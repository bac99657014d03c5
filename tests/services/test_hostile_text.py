"""Issue 10: the hostile corpus through the services on both databases. Storable text is
stored exactly as it arrived; NUL and lone surrogates are refused with a ValidationError
naming the field (PostgreSQL cannot hold them); searches never fail on any of it."""

from __future__ import annotations

import pytest

from casedesk.errors import ValidationError
from casedesk.services.directory import customers, queue_setup, staff
from casedesk.services.knowledge import library
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, interactions, tasks, transitions
from tests.conftest import World
from tests.hostile import CORPUS, STORABLE

UNSTORABLE = [s for s in CORPUS if s not in STORABLE]


def test_storable_text_round_trips(world: World) -> None:
    desk, ana = world.desk, world.ana
    for i, text in enumerate(STORABLE):
        title = text.strip() or f"blank {i}"
        c = cases.create_case(desk, ana, title=title[:300], description=text)
        got = reads.get_case(desk, c.number)
        assert got.description == text
        cases.add_note(desk, ana, c.number, text if text.strip() else "x")
        interactions.log_interaction(desk, ana, channel="phone", case=c.number,
                                     subject=text[:500], notes=text)
        tasks.add_task(desk, ana, title=title[:300], case=c.number, description=text)
        contact = customers.add_contact(desk, name=title[:200], phone=None)
        assert reads.customer_history(desk, contact).contact == title[:200]
    transitions.resolve(desk, ana, 1, "solved", STORABLE[0])


def test_text_longer_than_its_column_is_refused(world: World) -> None:
    long = "x" * 100_000
    for call in (
        lambda: cases.create_case(world.desk, world.ana, title=long),
        lambda: tasks.add_task(world.desk, world.ana, title=long),
        lambda: interactions.log_interaction(world.desk, world.ana, channel="phone",
                                             subject=long),
        lambda: customers.add_contact(world.desk, name=long),
        lambda: customers.add_contact(world.desk, name="x", phone=long),
        lambda: customers.add_account(world.desk, name=long),
        lambda: queue_setup.add_queue(world.desk, world.sup, name=long),
        lambda: staff.add_agent(world.desk, world.admin, login="zz", name=long),
    ):
        with pytest.raises(ValidationError, match="100,000 characters long"):
            call()


@pytest.mark.parametrize("text", UNSTORABLE, ids=["nul", "surrogate"])
def test_unstorable_text_is_refused_by_name(world: World, text: str) -> None:
    desk, ana = world.desk, world.ana
    c = cases.create_case(desk, ana, title="ok")
    for call, field in (
        (lambda: cases.create_case(desk, ana, title=text), "the title"),
        (lambda: cases.create_case(desk, ana, title="x", description=text), "the description"),
        (lambda: cases.update_case(desk, ana, c.number, version=1, title=text), "the title"),
        (lambda: cases.add_note(desk, ana, c.number, text), "the note"),
        (lambda: cases.log_time(desk, ana, c.number, 5, text), "the note"),
        (lambda: interactions.log_interaction(desk, ana, channel="phone", subject=text),
         "the subject"),
        (lambda: tasks.add_task(desk, ana, title=text), "the title"),
        (lambda: transitions.cancel(desk, ana, c.number, text), "the note"),
        (lambda: transitions.resolve(desk, ana, c.number, "solved", text), "resolution notes"),
        (lambda: customers.add_contact(desk, name=text), "the name"),
        (lambda: customers.add_account(desk, name=text), "the name"),
        (lambda: queue_setup.add_queue(desk, world.sup, name=text), "the name"),
        (lambda: staff.add_agent(desk, world.admin, login="zz", name=text), "the name"),
        (lambda: library.add_article(desk, ana, title="t", body=text), "the body"),
    ):
        with pytest.raises(ValidationError, match=field):
            call()
    assert reads.get_case(desk, c.number).version == 1


@pytest.mark.parametrize("text", CORPUS[:: 3] + UNSTORABLE)
def test_searches_take_any_text(world: World, text: str) -> None:
    desk = world.desk
    assert isinstance(reads.search_cases(desk, text), list)
    assert isinstance(reads.inbox(desk, "technical", text=text).rows, list)
    assert isinstance(customers.find_contacts(desk, text), list)
    assert isinstance(library.search(desk, text), list)
