"""Engine set-up and time handling on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from casedesk.db import is_sqlite, make_engine, read_session, write_session
from casedesk.models import Case, Interaction
from casedesk.services.directory import customers
from casedesk.services.workflow import cases, interactions
from tests.conftest import World


def test_sqlite_pragmas(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def test_postgresql_goes_through_psycopg3(desk) -> None:  # type: ignore[no-untyped-def]
    if is_sqlite(desk.engine):
        assert desk.engine.dialect.driver == "pysqlite"
    else:
        assert desk.engine.dialect.driver == "psycopg"


def test_times_come_back_aware_utc(world: World) -> None:
    madrid = timezone(timedelta(hours=1))
    started = datetime(2026, 3, 2, 10, 30, tzinfo=madrid)
    i = interactions.log_interaction(world.desk, world.ana, channel="phone",
                                     subject="x", started_at=started)
    assert i.started_at == started and i.started_at.tzinfo is not None
    with read_session(world.desk.engine) as s:
        stored = s.execute(select(Interaction.started_at)).scalar_one()
    assert stored.utcoffset() == timedelta(0) and stored == started


def test_naive_datetimes_are_refused(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    with pytest.raises(Exception, match="naive datetime"), write_session(world.desk.engine) as s:
        s.execute(Case.__table__.update().values(updated_at=datetime(2026, 1, 1)))
    assert cases_updated_at(world, c.number).tzinfo == UTC


def cases_updated_at(world: World, number: int) -> datetime:
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case.updated_at).where(Case.number == number)).scalar_one()


def test_interaction_on_a_case_meets_first_response(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Consulta", queue="billing",
                          contact_id=world.contact_id)
    assert c.first_response_at is None
    interactions.log_interaction(world.desk, world.ana, channel="email", direction="outbound",
                                 subject="Re: consulta", case=c.label)
    from casedesk.services.queries import reads

    after = reads.get_case(world.desk, c.number)
    assert after.first_response_at == world.desk.now()
    assert after.version == c.version + 1
    timeline = [e.text for e in reads.timeline(world.desk, c.number)]
    assert any(t.startswith("outbound e-mail: Re: consulta") for t in timeline)


def test_interaction_validation(world: World) -> None:
    from casedesk.errors import ValidationError

    with pytest.raises(ValidationError, match="channel 'fax'"):
        interactions.log_interaction(world.desk, world.ana, channel="fax")
    with pytest.raises(ValidationError, match="negative"):
        interactions.log_interaction(world.desk, world.ana, channel="phone", duration_seconds=-1)


def test_contact_lookup_by_spaced_phone(world: World) -> None:

    found = customers.find_contacts(world.desk, "600 111")
    assert [c["name"] for c in found] == ["Juan Pérez"]


def test_timeline_lists_each_interaction_once(world: World) -> None:
    from casedesk.services.queries import reads

    c = cases.create_case(world.desk, world.ana, title="x")
    interactions.log_interaction(world.desk, world.ana, channel="phone", direction="outbound",
                                 subject="llamada", case=c.number)
    cases.log_time(world.desk, world.ana, c.number, 5)
    texts = [e.text for e in reads.timeline(world.desk, c.number)]
    assert sum("llamada" in t for t in texts) == 1
    assert sum(t.startswith("5 min") for t in texts) == 1
