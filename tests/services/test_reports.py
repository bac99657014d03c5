"""Every report against figures worked out by hand on a small fixed floor, on SQLite and
PostgreSQL.

The desk's zone is Europe/Madrid. The period is 2026-03-28 to 2026-04-03: 29 March is the
day clocks go forward (23 hours: 2026-03-28T23:00Z to 2026-03-29T22:00Z), 3 April is Good
Friday (a holiday: nothing happens). The period before, of equal length, is 21–27 March.

cases (UTC times; local day in brackets)
  c1 technical ana   opened 03-28T10:00 [28] first response +30 min, resolved 03-29T12:00
                     [29], closed 03-30T09:00 [30]; solved, rated 5; line L1 (Fibra)
  c2 billing   luis  opened 03-28T23:30 [29 — 28 in UTC], first response +1 h, resolved
                     03-29T21:30 [29, 23:30 CEST]; workaround, rated 3; account products
  c3 technical —     opened 03-29T22:30 [30], a child of c1, in progress (waiting),
                     first response breached
  c4 billing   ana   opened 03-30T08:00 [30], first response at once, resolved and
                     REOPENED (in progress, no resolved_at), line L2 (no product)
  c5 commercial carmen opened 03-31T21:59 [31, 23:59], resolved 30 s later [31]; solved
  c6 technical —     opened 03-31T22:00 [04-01 00:00], new
  c7 technical —     opened 03-26T10:00 [prev], resolved 03-26T11:00, closed 03-27T10:00;
                     line L1
  c8 billing   —     opened 03-27T10:00 [prev], new
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from casedesk.bulk import fast_insert
from casedesk.db import write_session
from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.models import (
    Account,
    AccountProduct,
    Agent,
    Case,
    CaseEvent,
    Contract,
    ContractLine,
    Interaction,
    Product,
    Queue,
    SlaPolicy,
    TimeEntry,
)
from casedesk.models.base import table_of
from casedesk.services import reports
from casedesk.services.directory import teams
from casedesk.services.reports.views import (
    AgentRow,
    BacklogRow,
    CallRow,
    CauseRow,
    DayVolume,
    DurationRow,
    EntitlementRow,
    ReportFilter,
    ResolutionRow,
    SatisfactionRow,
    SlaRow,
)
from casedesk.services.sla.clocks import FAR_FUTURE, Flag
from tests.conftest import World

ZONE = "Europe/Madrid"
START, END = date(2026, 3, 28), date(2026, 4, 3)
#: When the tests look at the floor.
NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def build(world: World) -> dict[str, int]:
    """The floor above in ``world``'s database (case numbers 1–8); returns the ids by
    name."""
    desk = world.desk
    desk.clock.set(NOW)  # type: ignore[attr-defined]
    with write_session(desk.engine) as s:
        ids = dict(s.execute(select(col(Agent.login), col(Agent.id))).all())
        queues = dict(s.execute(select(col(Queue.name), col(Queue.id))).all())
        account = s.execute(select(col(Account.id))).scalar_one()
        s.execute(update(Agent).where(col(Agent.login) == "luis").values(status="away"))
        policy = SlaPolicy(name="floor-sla", first_response_minutes=60, resolution_minutes=1440)
        fibra, movil = Product(code="FIB", name="Fibra"), Product(code="MOV", name="Móvil")
        s.add_all([policy, fibra, movil])
        s.flush()
        s.add_all([AccountProduct(account_id=account, product_id=fibra.id),
                   AccountProduct(account_id=account, product_id=movil.id)])
        current = Contract(number="CT-1", account_id=account, name="Soporte 2026",
                           starts=date(2026, 1, 1), ends=date(2026, 12, 31))
        expired = Contract(number="CT-0", account_id=account, name="Soporte 2025",
                           starts=date(2025, 1, 1), ends=date(2025, 12, 31))
        s.add_all([current, expired])
        s.flush()
        l1 = ContractLine(contract_id=current.id, product_id=fibra.id, name="Incidencias fibra",
                          allotment="cases", total=10, used=3)
        l2 = ContractLine(contract_id=current.id, name="Asistencia remota",
                          allotment="minutes", total=60, used=75)
        l0 = ContractLine(contract_id=expired.id, name="Old", allotment="cases", total=5, used=5)
        s.add_all([l1, l2, l0])
        s.flush()

        def case(n: int, created: str, queue: str, **extra: Any) -> dict[str, Any]:
            row: dict[str, Any] = {
                "number": n, "title": f"Case {n}", "description": "", "area": queue,
                "priority": "medium", "severity": "minor", "status": "new",
                "queue_id": queues[queue], "owner_id": None, "created_at": at(created),
                "updated_at": at(created), "due_at": FAR_FUTURE, "sla_flags": 0,
                "paused_seconds": 0, "version": 1, "account_id": None,
                "contract_line_id": None, "parent_id": None, "sla_policy_id": None,
                "first_response_at": None, "first_response_due": None,
                "resolution_due": None, "resolved_at": None, "closed_at": None,
                "resolution_type": None, "satisfaction": None,
            }
            row.update(extra)
            return row

        fr_met, res_met = int(Flag.FIRST_RESPONSE_MET), int(Flag.RESOLUTION_MET)
        cases = [
            case(1, "2026-03-28T10:00", "technical", owner_id=ids["ana"], status="closed",
                 first_response_at=at("2026-03-28T10:30"), resolved_at=at("2026-03-29T12:00"),
                 closed_at=at("2026-03-30T09:00"), resolution_type="solved", satisfaction=5,
                 sla_policy_id=policy.id, sla_flags=fr_met | res_met,
                 first_response_due=at("2026-03-28T11:00"),
                 resolution_due=at("2026-03-29T23:00"), account_id=account,
                 contract_line_id=l1.id),
            case(2, "2026-03-28T23:30", "billing", owner_id=ids["luis"], status="resolved",
                 first_response_at=at("2026-03-29T00:30"), resolved_at=at("2026-03-29T21:30"),
                 resolution_type="workaround", satisfaction=3, sla_policy_id=policy.id,
                 sla_flags=fr_met | int(Flag.RESOLUTION_BREACHED | Flag.RESOLUTION_WARNED),
                 first_response_due=at("2026-03-29T00:30"),
                 resolution_due=at("2026-03-29T21:00"), account_id=account),
            case(3, "2026-03-29T22:30", "technical", status="in_progress",
                 sla_policy_id=policy.id, due_at=NOW + timedelta(minutes=30),
                 sla_flags=int(Flag.FIRST_RESPONSE_BREACHED | Flag.FIRST_RESPONSE_WARNED),
                 first_response_due=at("2026-03-29T23:30"),
                 resolution_due=at("2026-04-10T00:00")),
            case(4, "2026-03-30T08:00", "billing", owner_id=ids["ana"], status="in_progress",
                 first_response_at=at("2026-03-30T08:00"), sla_policy_id=policy.id,
                 sla_flags=fr_met, first_response_due=at("2026-03-30T09:00"),
                 resolution_due=at("2026-04-01T08:00"), due_at=NOW + timedelta(minutes=10),
                 account_id=account, contract_line_id=l2.id, version=3),
            case(5, "2026-03-31T21:59", "commercial", owner_id=ids["carmen"],
                 status="resolved", resolved_at=at("2026-03-31T21:59:30"),
                 resolution_type="solved"),
            case(6, "2026-03-31T22:00", "technical", due_at=NOW + timedelta(hours=2)),
            case(7, "2026-03-26T10:00", "technical", status="closed",
                 resolved_at=at("2026-03-26T11:00"), closed_at=at("2026-03-27T10:00"),
                 account_id=account, contract_line_id=l1.id),
            case(8, "2026-03-27T10:00", "billing", due_at=NOW - timedelta(hours=1)),
        ]
        fast_insert(s, table_of(Case), cases)
        number = dict(s.execute(select(col(Case.number), col(Case.id))).all())
        s.execute(update(Case).where(col(Case.number) == 3).values(parent_id=number[1]))
        events = []
        for c in cases:
            for k in range(c["version"]):
                events.append({"case_id": number[c["number"]],
                               "at": c["created_at"] + timedelta(hours=k),
                               "kind": ("create", "status", "status")[k], "actor_id": None,
                               "data": None, "note": None})
        fast_insert(s, table_of(CaseEvent), events)

        def call(started: str, channel: str, typ: str, agent: str, dur: int, wrap: int,
                 case_id: int | None) -> dict[str, Any]:
            return {"channel": channel, "direction": "inbound", "typification": typ,
                    "agent_id": ids[agent], "case_id": number.get(case_id),
                    "started_at": at(started),
                    "duration_seconds": dur, "wrap_seconds": wrap, "subject": "", "notes": ""}

        fast_insert(s, table_of(Interaction), [
            call("2026-03-28T10:05", "phone", "query", "ana", 300, 60, 1),
            call("2026-03-29T00:20", "phone", "complaint", "luis", 600, 120, 2),
            call("2026-03-30T08:00", "email", "incident", "ana", 0, 0, 4),
            call("2026-03-30T09:00", "phone", "query", "ana", 200, 40, 4),
            call("2026-04-03T22:30", "phone", "query", "luis", 100, 0, None),  # [04-04]
            call("2026-03-27T23:30", "phone", "request", "carmen", 90, 30, None),  # [28]
        ])
        fast_insert(s, table_of(TimeEntry), [
            {"case_id": number[1], "agent_id": ids["ana"], "minutes": 15,
             "at": at("2026-03-28T11:00"), "kind": "work"},
            {"case_id": number[4], "agent_id": ids["ana"], "minutes": 5,
             "at": at("2026-03-30T09:10"), "kind": "after_call"},
            {"case_id": number[2], "agent_id": ids["luis"], "minutes": 20,
             "at": at("2026-04-03T22:30"), "kind": "work"},  # [04-04]
            {"case_id": number[2], "agent_id": ids["luis"], "minutes": 10,
             "at": at("2026-03-29T10:00"), "kind": "work"},
        ])
    return {k: int(v) for k, v in {**ids, **{f"q_{k}": v for k, v in queues.items()}}.items()}







@pytest.fixture
def floor(world: World) -> World:
    build(world)
    return world


def _read(world: World, name: str, **filters: str) -> list[object]:
    return reports.read(world.desk, world.sup, name, ReportFilter(START, END, ZONE, **filters))


def _day(n: int) -> date:
    return START + timedelta(days=n)


def test_volume_counts_each_case_on_its_madrid_day_across_the_dst_change(floor: World) -> None:
    rows = _read(floor, "volume")
    assert rows == [
        DayVolume(date(2026, 3, 28), 1, 0, 0),  # c1 (c2 is 28 March in UTC, 29 in Madrid)
        DayVolume(date(2026, 3, 29), 1, 2, 0),  # c2; c1 and c2 resolved (c2 at 23:30 CEST)
        DayVolume(date(2026, 3, 30), 2, 0, 1),  # c3 (00:30 local), c4; c1 closed
        DayVolume(date(2026, 3, 31), 1, 1, 0),  # c5 at 23:59, resolved 30 s later
        DayVolume(date(2026, 4, 1), 1, 0, 0),  # c6 at 00:00 local
        DayVolume(date(2026, 4, 2), 0, 0, 0),
        DayVolume(date(2026, 4, 3), 0, 0, 0),  # Good Friday: a holiday, nothing happens
    ]
    # the reopened case (c4) is not counted as resolved; the child (c3) counts as a case
    assert sum(r.resolved for r in rows) == 3  # type: ignore[attr-defined]


def test_volume_filters_by_queue_agent_and_team(floor: World) -> None:
    technical = _read(floor, "volume", queue="technical")
    assert [(r.opened, r.resolved, r.closed) for r in technical] == [  # type: ignore[attr-defined]
        (1, 0, 0), (0, 1, 0), (1, 0, 1), (0, 0, 0), (1, 0, 0), (0, 0, 0), (0, 0, 0)]
    ana = _read(floor, "volume", agent="ana")
    assert [(r.opened, r.resolved, r.closed) for r in ana] == [  # type: ignore[attr-defined]
        (1, 0, 0), (0, 1, 0), (1, 0, 1), (0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)]
    teams.add_team(floor.desk, floor.admin, "partners")
    teams.set_queue(floor.desk, floor.admin, "partners", "commercial", True)
    partners = reports.read(floor.desk, floor.admin, "volume",
                            ReportFilter(START, END, ZONE, team="partners"))
    assert [(r.opened, r.resolved) for r in partners] == [  # type: ignore[attr-defined]
        (0, 0), (0, 0), (0, 0), (1, 1), (0, 0), (0, 0), (0, 0)]


def test_a_day_in_utc_is_not_a_day_in_madrid(floor: World) -> None:
    utc = reports.read(floor.desk, floor.sup, "volume", ReportFilter(START, END, "UTC"))
    assert [r.opened for r in utc][:4] == [2, 1, 1, 2]  # type: ignore[attr-defined]


def test_backlog_by_queue_and_age(floor: World) -> None:
    # now 2026-04-01T12:00Z: c3 2.6 days, c4 2.2 days, c6 14 hours, c8 5.1 days old
    assert _read(floor, "backlog") == [
        BacklogRow("billing", 0, 1, 1, 0, 0, 2),
        BacklogRow("technical", 1, 1, 0, 0, 0, 2),
    ]


def test_sla_compliance_per_policy_and_deadline(floor: World) -> None:
    assert _read(floor, "sla") == [
        # c1, c2, c4 met; c3 breached
        SlaRow("floor-sla", "first_response", 3, 1, 0, 75.0),
        # c1 met; c2 breached (recorded), c4 past due and running (not recorded yet);
        # c3 pending
        SlaRow("floor-sla", "resolution", 1, 2, 1, 33.3),
    ]


def test_first_response_and_resolution_times(floor: World) -> None:
    assert _read(floor, "times") == [
        # 0, 1800, 3600 s: median 1800; p90 at rank 1.8: 1800 + 0.8 × 1800
        DurationRow("first_response", 3, 1800.0, 3240.0),
        # c5 30 s, c2 22 h, c1 26 h: median 79200; p90 79200 + 0.8 × 14400
        DurationRow("resolution", 3, 79200.0, 90720.0),
    ]


def test_agent_productivity(floor: World) -> None:
    assert _read(floor, "agents") == [
        # ana: 3 contacts (2 calls: 300+60, 200+40), c1 resolved, 15 + 5 minutes
        AgentRow("ana", "Ana García", 3, 1, 20, 2, 300.0),
        # carmen: the call at 00:30 on 28 March, local time; c5 resolved
        AgentRow("carmen", "Carmen Ruiz", 1, 1, 0, 1, 120.0),
        # luis: one call in the period (the other is on 4 April in Madrid); c2
        AgentRow("luis", "Luis Romero", 1, 1, 10, 1, 720.0),
    ]
    assert _read(floor, "agents", agent="luis") == [
        AgentRow("luis", "Luis Romero", 1, 1, 10, 1, 720.0)]


def test_calls_by_channel_and_typification(floor: World) -> None:
    assert _read(floor, "calls") == [
        CallRow("email", "incident", 1, 0.0, 0.0),
        CallRow("phone", "complaint", 1, 600.0, 120.0),
        CallRow("phone", "query", 2, 250.0, 50.0),
        CallRow("phone", "request", 1, 90.0, 30.0),
    ]
    assert _read(floor, "calls", queue="billing") == [
        CallRow("email", "incident", 1, 0.0, 0.0),
        CallRow("phone", "complaint", 1, 600.0, 120.0),
        CallRow("phone", "query", 1, 200.0, 40.0),
    ]


def test_resolution_types_and_satisfaction(floor: World) -> None:
    assert _read(floor, "resolutions") == [
        ResolutionRow("solved", 2, 66.7), ResolutionRow("workaround", 1, 33.3)]
    assert _read(floor, "satisfaction") == [
        SatisfactionRow("billing", 1, 3.0),
        SatisfactionRow("technical", 1, 5.0),
        SatisfactionRow("(all queues)", 2, 4.0),
    ]


def test_top_categories_and_products_against_the_previous_period(floor: World) -> None:
    assert _read(floor, "causes") == [
        CauseRow("category", "technical", 3, 1, 2, 200.0),
        CauseRow("category", "billing", 2, 1, 1, 100.0),
        CauseRow("category", "commercial", 1, 0, 1, None),
        # c1 by its line; c2 (no line) and c4 (a line with no product) by the account's
        CauseRow("product", "Fibra", 3, 1, 2, 200.0),
        CauseRow("product", "Móvil", 2, 0, 2, None),
    ]


def test_entitlement_consumption_of_the_contracts_in_force(floor: World) -> None:
    assert _read(floor, "entitlements") == [
        EntitlementRow("CT-1", "Pérez Hogar", "Incidencias fibra", "cases", 10, 3, 7),
        EntitlementRow("CT-1", "Pérez Hogar", "Asistencia remota", "minutes", 60, 75, -15),
    ]


def test_the_now_board(floor: World) -> None:
    table = reports.run(floor.desk, floor.sup, "now", ReportFilter(START, END, ZONE))
    by_queue = {row[0]: row[1:] for row in table.rows}
    # waiting, breached, breaching within the hour (waiting), agents available
    assert by_queue["technical"] == (2, 0, 1, 2)  # c3 in 30 min; c6 in 2 h; luis away
    assert by_queue["billing"] == (1, 1, 0, 2)  # c8 an hour late; c4 is in ana's bin
    assert by_queue["commercial"] == (0, 0, 0, 1)
    board = reports.now.now_board(floor.desk, floor.sup)
    assert board.breaching_next_hour == 2  # c3 and c4 (in a bin)
    assert dict(board.presence) == {"available": 4, "busy": 0, "away": 1, "offline": 0}


def test_every_report_runs_as_a_table_with_its_columns(floor: World) -> None:
    for name in reports.report_names():
        table = reports.run(floor.desk, floor.sup, name, ReportFilter(START, END, ZONE))
        assert table.rows, name
        assert all(len(row) == len(table.columns) for row in table.rows)
        assert table.to_json()["rows"][0].keys() == {c.key for c in table.columns}


def test_reports_are_for_supervisors_and_check_their_filter(floor: World) -> None:
    with pytest.raises(PermissionDenied):
        _read_as(floor, floor.ana, ReportFilter(START, END, ZONE))
    with pytest.raises(ValidationError, match="before it begins"):
        _read_as(floor, floor.sup, ReportFilter(END, START, ZONE))
    with pytest.raises(ValidationError, match="time zone"):
        _read_as(floor, floor.sup, ReportFilter(START, END, "Mars/Olympus"))
    with pytest.raises(NotFound, match="no queue"):
        _read_as(floor, floor.sup, ReportFilter(START, END, ZONE, queue="nope"))
    with pytest.raises(NotFound, match="no team"):
        _read_as(floor, floor.sup, ReportFilter(START, END, ZONE, team="nope"))
    with pytest.raises(NotFound, match="no report"):
        reports.run(floor.desk, floor.sup, "nope", ReportFilter(START, END, ZONE))


def _read_as(world: World, actor: object, flt: ReportFilter) -> object:
    return reports.read(world.desk, actor, "volume", flt)  # type: ignore[arg-type]
