"""The write fast paths (``services/workflow/fastwrites.py``, issue 17 point 2): a note, a
task on a case, a call on no case and a resolution with its customer mail write exactly
what the transaction writes; a refusal writes nothing and falls back to the transaction,
which raises its explained error. Both databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from casedesk.errors import InvalidTransition, NotFound, PermissionDenied
from casedesk.services.workflow import (
    cases,
    fastpath,
    fastwrites,
    interactions,
    tasks,
    transitions,
)
from tests.conftest import World
from tests.pgroles import plain
from tests.services.test_row_security import Floor, floor  # noqa: F401 - its fixture

#: columns that differ between two runs of the same operation
_VOLATILE = {"id", "case_id", "number", "at", "created_at", "updated_at", "last_activity_at",
             "message_id", "title", "subject", "body", "started_at", "inactivity_due",
             "due_at", "first_response_due", "resolution_due", "next_response_due",
             "first_response_warn", "resolution_warn", "next_response_warn", "task_id",
             "search_vector"}


@contextmanager
def slow(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every fast path off: the operations run their original transaction."""
    with monkeypatch.context() as m:
        for name in ("add_note", "add_task", "log_interaction", "create_case"):
            m.setattr(fastwrites, name, lambda *a, **k: None)
        m.setattr(fastpath, "change_status", lambda *a, **k: None)
        yield


def _rows(world: World, sql: str, **params: Any) -> list[dict[str, Any]]:
    with world.desk.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def _events(world: World, number: int) -> list[dict[str, Any]]:
    rows = _rows(world, 'SELECT e.* FROM case_event e JOIN "case" c ON c.id = e.case_id '
                 "WHERE c.number = :n ORDER BY e.id", n=number)
    for row in rows:
        if isinstance(row.get("data"), str):  # SQLite's JSON comes back as text
            import json

            row["data"] = json.loads(row["data"])
        if isinstance(row.get("data"), dict) and "task" in row["data"]:
            row["data"] = {**row["data"], "task": "…"}
    return rows


def _case(world: World, number: int) -> dict[str, Any]:
    return _rows(world, 'SELECT * FROM "case" WHERE number = :n', n=number)[0]


def _stable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _VOLATILE}


def _work(world: World) -> int:
    """The bench's loop on one case of the world's customer: note, task, resolve."""
    made = cases.create_case(world.desk, world.admin, title="Router", queue="technical",
                             contact_id=world.contact_id)
    transitions.accept(world.desk, world.ana, made.number)
    cases.add_note(world.desk, world.ana, made.number, "  rebooted the router  ")
    tasks.add_task(world.desk, world.ana, title="call back", case=made.number,
                   description=" tomorrow ")
    transitions.resolve(world.desk, world.ana, made.number, "solved", "rebooted")
    return made.number


def test_the_fast_paths_write_what_the_transaction_writes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = _work(world)
    with slow(monkeypatch):
        slowly = _work(world)
    assert [_stable(e) for e in _events(world, fast)] == [
        _stable(e) for e in _events(world, slowly)]
    assert [e["kind"] for e in _events(world, fast)] == [
        "create", "accept", "note", "task", "resolve"]
    assert _stable(_case(world, fast)) == _stable(_case(world, slowly))
    assert _case(world, fast)["version"] == 5
    tasks_of = 'SELECT t.* FROM task t JOIN "case" c ON c.id = t.case_id WHERE c.number = :n'
    fast_tasks, slow_tasks = _rows(world, tasks_of, n=fast), _rows(world, tasks_of, n=slowly)
    assert len(fast_tasks) == 1 and fast_tasks[0]["description"] == "tomorrow"
    assert [_stable(t) for t in fast_tasks] == [_stable(t) for t in slow_tasks]
    mail = 'SELECT o.* FROM outbox o JOIN "case" c ON c.id = o.case_id WHERE c.number = :n'
    fast_mail, slow_mail = _rows(world, mail, n=fast), _rows(world, mail, n=slowly)
    assert len(fast_mail) == 1 and fast_mail[0]["to_address"] == "juan.perez@example.com"
    assert [_stable(m) for m in fast_mail] == [_stable(m) for m in slow_mail]
    assert fast_mail[0]["subject"].replace(str(fast), "N") == slow_mail[0]["subject"].replace(
        str(slowly), "N")


def test_a_resolution_answers_the_customers_latest_mail_as_the_transaction_does(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-Reply-To and References come from the customer's mails on the case."""
    numbers = []
    for fast in (True, False):
        made = cases.create_case(world.desk, world.admin, title="Mail", queue="technical",
                                 contact_id=world.contact_id)
        transitions.accept(world.desk, world.ana, made.number)
        with world.desk.engine.begin() as conn:
            for i, mid in enumerate(("first", "latest")):
                conn.execute(text(
                    "INSERT INTO interaction (channel, direction, typification, case_id, "
                    "started_at, duration_seconds, wrap_seconds, subject, notes, message_id) "
                    "SELECT 'email', 'inbound', 'query', id, :at, 0, 0, 's', '', :mid "
                    'FROM "case" WHERE number = :n'),
                    {"n": made.number, "mid": f"<{mid}.{fast}@example.com>",
                     "at": world.desk.now().replace(minute=i)})
        if fast:
            transitions.resolve(world.desk, world.ana, made.number, "solved", "done")
        else:
            with slow(monkeypatch):
                transitions.resolve(world.desk, world.ana, made.number, "solved", "done")
        numbers.append(made.number)
    got = [_rows(world, 'SELECT o.in_reply_to, o."references" FROM outbox o JOIN "case" c '
                 "ON c.id = o.case_id WHERE c.number = :n", n=n) for n in numbers]
    assert got[0] == [{"in_reply_to": "<latest.True@example.com>",
                       "references": "<first.True@example.com> <latest.True@example.com>"}]
    assert got[1] == [{"in_reply_to": "<latest.False@example.com>",
                       "references": "<first.False@example.com> <latest.False@example.com>"}]


def test_a_case_with_no_customer_address_is_resolved_without_mail(world: World) -> None:
    made = cases.create_case(world.desk, world.ana, title="No customer")
    done = transitions.resolve(world.desk, world.ana, made.number, "solved", "done")
    assert done.status == "resolved" and done.version == made.version + 1
    assert _rows(world, "SELECT id FROM outbox WHERE case_id = :c", c=made.id) == []


def test_a_call_on_no_case_is_logged_once(world: World) -> None:
    before = _rows(world, "SELECT count(*) AS n FROM interaction")[0]["n"]
    got = interactions.log_interaction(world.desk, world.ana, channel="phone",
                                       subject=" router ", duration_seconds=90,
                                       notes=" no signal ", contact_id=world.contact_id)
    assert (got.contact, got.agent, got.case, got.subject, got.notes, got.duration_seconds) == (
        "Juan Pérez", "Ana García", None, "router", "no signal", 90)
    assert _rows(world, "SELECT count(*) AS n FROM interaction")[0]["n"] == before + 1
    alone = interactions.log_interaction(world.desk, world.ana, channel="visit")
    assert alone.contact is None and alone.channel == "visit"


def _refused(world: World, call: Callable[[], Any], error: type[Exception],
             match: str) -> None:
    """``call`` raises the transaction's explained ``error`` and writes nothing."""
    count = "SELECT (SELECT count(*) FROM case_event) + (SELECT count(*) FROM task) " \
            "+ (SELECT count(*) FROM interaction) + (SELECT count(*) FROM outbox) AS n"
    before = _rows(world, count)[0]["n"]
    with pytest.raises(error, match=match):
        call()
    assert _rows(world, count)[0]["n"] == before


def test_refusals_fall_back_to_the_transactions_explanation(world: World) -> None:
    waiting = cases.create_case(world.desk, world.admin, title="Waiting", queue="technical")
    mine = cases.create_case(world.desk, world.admin, title="Mine", queue="technical")
    transitions.accept(world.desk, world.ana, mine.number)
    done = cases.create_case(world.desk, world.admin, title="Done", queue="technical")
    transitions.accept(world.desk, world.ana, done.number)
    transitions.resolve(world.desk, world.ana, done.number, "solved", "fixed")
    d, carmen, luis = world.desk, world.carmen, world.luis
    _refused(world, lambda: cases.add_note(d, carmen, 999_999, "hola"), NotFound,
             "no case CS-999999")
    _refused(world, lambda: tasks.add_task(d, carmen, title="t", case=waiting.number),
             PermissionDenied, "accept it before adding tasks")
    _refused(world, lambda: tasks.add_task(d, luis, title="t", case=mine.number),
             PermissionDenied, "accept it before adding tasks")
    _refused(world, lambda: tasks.add_task(d, world.ana, title="t", case=done.number),
             InvalidTransition, "reopen it to add tasks")
    _refused(world, lambda: interactions.log_interaction(d, luis, channel="phone",
                                                         contact_id=987_654),
             NotFound, "no contact 987654")
    _refused(world, lambda: transitions.resolve(d, luis, mine.number, "solved", "x"),
             PermissionDenied, "accept it before you resolve it")
    _refused(world, lambda: transitions.resolve(d, world.ana, done.number, "solved", "x"),
             InvalidTransition, "is resolved: cannot resolve it")
    # a member of the queue may add a task to a case waiting there, a supervisor to any
    assert tasks.add_task(d, luis, title="ok", case=waiting.number).case == waiting.label
    assert tasks.add_task(d, world.sup, title="ok", case=mine.number).assignee == "maria"


def test_a_stale_version_is_refused_by_the_transaction(world: World) -> None:
    mine = cases.create_case(world.desk, world.ana, title="Mine")
    cases.add_note(world.desk, world.ana, mine.number, "a note moves the version")
    _refused(world, lambda: transitions.resolve(world.desk, world.ana, mine.number, "solved",
                                                "x", version=mine.version), Exception,
             "reload it and try again")


def test_a_new_case_is_created_as_the_transaction_creates_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Into the creator's bin, into a queue, for a customer, under a policy: the same case
    row and the same create event."""
    from casedesk.services.sla import policy_files

    policy_files.load_defaults(world.desk)
    shapes: list[dict[str, Any]] = [
        {"title": "Mine"},
        {"title": "Router", "queue": "technical", "priority": "high"},
        {"title": "Factura", "queue": "billing", "contact_id": world.contact_id,
         "area": "billing", "severity": "major", "description": "doble cargo"},
        {"title": " Fibra ", "contact_id": world.contact_id, "channel": "phone"},
    ]
    for shape in shapes:
        fast = cases.create_case(world.desk, world.ana, **shape)
        with slow(monkeypatch):
            slowly = cases.create_case(world.desk, world.ana, **shape)
        assert fast.number + 1 == slowly.number
        assert _stable(_case(world, fast.number)) == _stable(_case(world, slowly.number))
        assert [_stable(e) for e in _events(world, fast.number)] == [
            _stable(e) for e in _events(world, slowly.number)]
        assert (fast.owner, fast.queue, fast.sla_policy, fast.title) == (
            slowly.owner, slowly.queue, slowly.sla_policy, slowly.title)


def test_a_late_resolution_records_its_breaches_as_the_transaction_does(
    world: World, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resolved a month late: the resolve event and one ``sla_breach`` per clock, in the
    change's own statement, the same rows as the transaction's."""
    from datetime import timedelta

    from casedesk.services.sla import policy_files

    policy_files.load_defaults(world.desk)
    made = [cases.create_case(world.desk, world.ana, title=f"late {i}", priority="high",
                              contact_id=world.contact_id) for i in range(2)]
    clock.advance(timedelta(days=30))
    transitions.resolve(world.desk, world.ana, made[0].number, "solved", "late")
    with slow(monkeypatch):
        transitions.resolve(world.desk, world.ana, made[1].number, "solved", "late")
    fast, slowly = (_events(world, m.number) for m in made)
    assert [e["kind"] for e in fast] == ["create", "resolve", "sla_breach", "sla_breach"]
    assert [_stable(e) for e in fast] == [_stable(e) for e in slowly]
    assert _stable(_case(world, made[0].number)) == _stable(_case(world, made[1].number))


def test_an_agents_own_role_runs_every_fast_path(floor: Floor) -> None:  # noqa: F811
    """As a plain agent login (row security on, not an admin): the new case, its claim,
    note, task, a call and the resolution with its mail; every change has its one event."""
    desk = floor.desk_as("rls_ana")
    try:
        ana = desk.actor("rls_ana")
        made = cases.create_case(desk, ana, title="Llamada", queue="technical",
                                 contact_id=floor.juan)
        mine = cases.create_case(desk, ana, title="En mi bandeja")
        assert (made.queue, mine.owner) == ("technical", "rls_ana")
        transitions.accept(desk, ana, made.number)
        cases.add_note(desk, ana, made.number, "llamó otra vez")
        tasks.add_task(desk, ana, title="devolver la llamada", case=made.number)
        call = interactions.log_interaction(desk, ana, channel="phone", contact_id=floor.juan)
        assert call.contact == "Juan Pérez"
        done = transitions.resolve(desk, ana, made.number, "solved", "reiniciado")
        assert (done.status, done.version) == ("resolved", made.version + 4)
        with pytest.raises(NotFound):  # the partner team's case stays out of sight
            cases.add_note(desk, ana, floor.partner_open, "hola")
    finally:
        desk.engine.dispose()
    with psycopg.connect(plain(floor.url)) as conn:
        versions = conn.execute(
            'SELECT count(*) FROM "case" c WHERE version <> '
            "(SELECT count(*) FROM case_event e WHERE e.case_id = c.id "
            "AND e.kind NOT IN ('sla_breach', 'sla_warning', 'inactive', 'escalated'))"
        ).fetchone()
        mails = conn.execute("SELECT count(*) FROM outbox WHERE case_id = %s",
                             (floor.case_id(made.number),)).fetchone()
    assert versions == (0,) and mails == (1,)
