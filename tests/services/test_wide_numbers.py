"""Issue 10, point 3 (services): ids and numbers are 64-bit on both databases, and a
number nobody can store is "not found", never an OverflowError or "integer out of range"."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from casedesk.db import read_session, write_session
from casedesk.errors import NotFound, ValidationError
from casedesk.models.base import MAX_ID
from casedesk.services.context import load_agent, load_queue
from casedesk.services.directory import customers, staff
from casedesk.services.knowledge import library
from casedesk.services.numbers import parse_case_number, set_last_number
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, interactions, tasks, transitions
from tests.conftest import World

BIGINT_COLUMNS = importlib.import_module("casedesk.migrations.versions.0003_bigint_ids").COLUMNS

TOO_BIG = [MAX_ID + 1, 10**20, 99999999999999999999, -1, 0]


def _set_counter(world: World, name: str, value: int) -> None:
    with write_session(world.desk.engine) as s:
        set_last_number(s, name, value)


def test_postgres_columns_are_bigint_and_sqlite_ids_still_autoincrement(world: World) -> None:
    engine = world.desk.engine
    with engine.connect() as conn:
        insp = inspect(conn)
        for table, columns in BIGINT_COLUMNS.items():
            types = {c["name"]: str(c["type"]).upper() for c in insp.get_columns(table)}
            for column in columns:
                want = "INTEGER" if engine.dialect.name == "sqlite" else "BIGINT"
                assert types[column] == want, (table, column, types[column])
        if engine.dialect.name == "sqlite":
            ddl = conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'case'")).scalar()
            assert "id INTEGER NOT NULL" in ddl and "PRIMARY KEY (id)" in ddl  # the rowid alias
        else:
            kind = conn.execute(text(
                "SELECT data_type FROM information_schema.sequences "
                "WHERE sequence_name = 'case_id_seq'")).scalar()
            assert kind == "bigint"
    a = cases.create_case(world.desk, world.ana, title="one")
    b = cases.create_case(world.desk, world.ana, title="two")
    assert b.id == a.id + 1 and b.number == a.number + 1


def test_case_numbers_beyond_2_31_work(world: World) -> None:
    _set_counter(world, "case", 2**31 + 5)
    c = cases.create_case(world.desk, world.ana, title="big number", queue="technical")
    assert c.number == 2**31 + 6
    assert reads.get_case(world.desk, c.label).title == "big number"
    assert transitions.accept(world.desk, world.ana, c.number).owner == "ana"
    cases.add_note(world.desk, world.ana, str(c.number), "still fine")
    assert [r.number for r in reads.search_cases(world.desk, str(c.number))] == [c.number]


@pytest.mark.parametrize("number", TOO_BIG)
def test_unstorable_numbers_are_not_found(world: World, number: int) -> None:
    desk, ana = world.desk, world.ana
    for call in (
        lambda: reads.get_case(desk, number),
        lambda: reads.get_case(desk, str(number)),
        lambda: reads.get_case(desk, f"CS-{number}"),
        lambda: cases.add_note(desk, ana, number, "x"),
        lambda: transitions.accept(desk, ana, str(number)),
        lambda: tasks.complete_task(desk, ana, number),
        lambda: library.get_article(desk, number),
        lambda: library.get_article(desk, str(number)),
        lambda: reads.customer_history(desk, number),
        lambda: interactions.log_interaction(desk, ana, channel="phone", contact_id=number),
        lambda: interactions.attach_interaction(desk, ana, number, 1),
        lambda: cases.create_case(desk, ana, title="x", contact_id=number),
        lambda: cases.create_case(desk, ana, title="x", contract_line_id=number),
        lambda: customers.add_contact(desk, name="x", account_id=number),
    ):
        with pytest.raises((NotFound, ValidationError)):
            call()
    with read_session(desk.engine) as s:
        for lookup in (load_agent, load_queue):
            with pytest.raises(NotFound):
                lookup(s, number)


def test_ten_digit_phone_finds_the_customers_case(world: World) -> None:
    contact = customers.add_contact(world.desk, name="Marta Vidal", phone="912 345 678 90")
    c = cases.create_case(world.desk, world.ana, title="llamada", contact_id=contact)
    for typed in ("91234567890", "912 345 678 90", "9123456789", str(2**40)):
        found = [r.number for r in reads.search_cases(world.desk, typed)]
        assert found == ([c.number] if typed != str(2**40) else [])
    assert reads.search_cases(world.desk, "9" * 30) == []


@given(st.integers())
def test_parse_case_number_is_total(number: int) -> None:
    for value in (number, str(number), f"CS-{number}"):
        try:
            got = parse_case_number(value)
        except (NotFound, ValidationError):
            assert not 0 < number <= MAX_ID or value.startswith("CS--")  # type: ignore[union-attr]
        else:
            assert got == number and 0 < got <= MAX_ID


def test_capacity_and_durations_are_bounded(world: World) -> None:
    with pytest.raises(ValidationError, match="capacity"):
        staff.add_agent(world.desk, world.admin, login="big", name="Big", capacity=2**40)
    with pytest.raises(ValidationError, match="longer than a week"):
        interactions.log_interaction(world.desk, world.ana, channel="phone",
                                     duration_seconds=2**40)
    with pytest.raises(ValidationError, match="between 1 and 1440"):
        cases.log_time(world.desk, world.ana, 1, 2**70)
    for call in (lambda: cases.log_time(world.desk, world.ana, 1, 10**5000),
                 lambda: staff.add_agent(world.desk, world.admin, login="b", name="B",
                                             capacity=10**5000),
                 lambda: interactions.log_interaction(world.desk, world.ana, channel="phone",
                                                      duration_seconds=10**5000)):
        with pytest.raises(ValidationError, match="over 30 digits"):
            call()


def test_migration_0003_downgrades_and_upgrades_again(desk) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from casedesk.db import SCHEMA_HEAD, alembic_config, current_revision, upgrade

    command.downgrade(alembic_config(desk.engine), "0002")
    assert current_revision(desk.engine) == "0002"
    with desk.engine.connect() as conn:
        types = {c["name"]: str(c["type"]).upper() for c in inspect(conn).get_columns("case")}
    assert types["number"] == "INTEGER"
    assert upgrade(desk.engine) == ("0002", SCHEMA_HEAD)


def test_models_and_migrations_agree_on_column_types(desk) -> None:  # type: ignore[no-untyped-def]
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with desk.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, SQLModel.metadata)
    changes = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    assert [d for d in changes if d[0] == "modify_type"] == []


@pytest.mark.parametrize("due", [{"due_in": "99999999999d"}, {"due_in": "400d"},
                                 {"due_at": datetime(9999, 12, 31, tzinfo=UTC)}])
def test_far_task_deadlines_are_refused_quickly(world: World, due: dict) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    with pytest.raises(ValidationError, match="more than|too long"):
        tasks.add_task(world.desk, world.ana, title="t", case=c.number, **due)
    assert tasks.add_task(world.desk, world.ana, title="t", case=c.number,
                          due_in="30d").due_at is not None


def test_numbers_of_thousands_of_digits_are_not_found(world: World) -> None:
    with pytest.raises(NotFound, match="over 30 digits"):
        reads.customer_history(world.desk, 10**5000)
    with pytest.raises(NotFound, match="stop at"):
        reads.get_case(world.desk, "9" * 5000)
    with pytest.raises(NotFound):
        reads.get_case(world.desk, 10**5000)
    with pytest.raises(NotFound, match="over 30 digits"):
        library.get_article(world.desk, -(10**5000))


@pytest.mark.parametrize("version", [0, -1, 2**31, 2**63, 10**5000],
                         ids=["0", "-1", "2^31", "2^63", "10^5000"])
def test_impossible_versions_are_refused(world: World, version: int) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    with pytest.raises(ValidationError, match="has no version"):
        cases.update_case(world.desk, world.ana, c.number, version=version, title="y")
    with pytest.raises(ValidationError, match="has no version"):
        transitions.start(world.desk, world.ana, c.number, version=version)
    article = library.add_article(world.desk, world.sup, title="t", body="b")
    with pytest.raises(ValidationError, match="has no version"):
        library.publish(world.desk, world.sup, article.number, version=version)
    with pytest.raises(ValidationError, match="has no version"):
        library.edit_article(world.desk, world.sup, article.number, version=version, title="u")


def test_migration_0004_downgrades_and_upgrades_again(desk) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from casedesk.db import SCHEMA_HEAD, alembic_config, current_revision, upgrade

    command.downgrade(alembic_config(desk.engine), "0003")
    assert current_revision(desk.engine) == "0003"
    with desk.engine.connect() as conn:
        assert "clock_lease" not in inspect(conn).get_table_names()
    assert upgrade(desk.engine) == ("0003", SCHEMA_HEAD)
    with desk.engine.connect() as conn:
        queue = {c["name"] for c in inspect(conn).get_columns("queue")}
    assert {"strategy", "last_assigned_id"} <= queue


def test_every_model_table_and_column_is_made_by_the_migrations(desk) -> None:  # type: ignore[no-untyped-def]
    """(The search indexes are the database's own extras: FTS5 tables, tsvector columns.)"""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with desk.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    changes = [d for group in diffs for d in (group if isinstance(group, list) else [group])]
    assert [d for d in changes if d[0] in ("add_table", "add_column")] == []


def test_migration_0005_downgrades_and_upgrades_again(desk) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from casedesk.db import SCHEMA_HEAD, alembic_config, current_revision, upgrade

    command.downgrade(alembic_config(desk.engine), "0004")
    assert current_revision(desk.engine) == "0004"
    with desk.engine.connect() as conn:
        assert "team" not in inspect(conn).get_table_names()
    assert upgrade(desk.engine) == ("0004", SCHEMA_HEAD)
    with desk.engine.connect() as conn:
        names = {i["name"] for i in inspect(conn).get_indexes("case")}
        assert {"ix_case_escalated", "ix_case_inactive"} <= names
        if conn.dialect.name == "postgresql":
            groups = conn.exec_driver_sql(
                "SELECT rolname FROM pg_roles WHERE rolname IN "
                "('casedesk_admin', 'casedesk_agent', 'casedesk_supervisor') ORDER BY 1"
            ).scalars().all()
            assert groups == ["casedesk_admin", "casedesk_agent", "casedesk_supervisor"]
            assert conn.exec_driver_sql(
                "SELECT pg_has_role('casedesk_admin', 'casedesk_agent', 'MEMBER')"
            ).scalar()
