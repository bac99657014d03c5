"""History stays history (issue 16 point 4): a ticket export as a real helpdesk writes it —
quoted multi-line descriptions, its own vocabulary, customers spelled several ways, a
spreadsheet round-trip — comes in with its times and outcomes, raises no SLA event for the
past, and a re-import changes nothing. Both databases."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from casedesk.db import read_session
from casedesk.models import Case, CaseEvent, Contact
from casedesk.services.imports.profiles import apply_profile, read_profile
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from casedesk.services.sla import policy_files, scanner
from casedesk.services.sla.clocks import Flag
from tests.conftest import T0, World

HEADER = ["Ticket ID", "Customer Name", "Customer Email", "Product Purchased",
          "Ticket Subject", "Ticket Description", "Ticket Status", "Resolution",
          "Ticket Priority", "Ticket Channel", "First Response Time", "Time to Resolution",
          "Customer Satisfaction Rating"]
DAY = timedelta(days=1)
START = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)  # a Monday morning, long before T0


def at(delta: timedelta) -> str:
    return (START + delta).strftime("%Y-%m-%d %H:%M:%S")


ROWS = [
    # answered in 5 minutes, solved within the hour: both met
    ["101", "Marisa Obrien", "marisa@example.com", "GoPro Hero", "Product setup",
     "I'm having an issue with the {product_purchased}.\n\nPlease assist.", "Closed",
     "Reset it.", "Low", "Email", at(timedelta(minutes=5)), at(timedelta(minutes=50)), "5.0"],
    # answered after ten days, solved after twenty: both breached
    ["102", "MARISA OBRIEN", "Marisa@Example.com ", "Dell XPS", "Network problem",
     'The "screen" [bold]flickers[/].', "Closed", "Replaced.", "Critical", "Social media",
     at(10 * DAY), at(20 * DAY), "1"],
    # still waiting for the customer, answered in time
    ["103", "Marísa Obrién", "", "Dell XPS", "Battery life", "It drains.",
     "Pending Customer Response", "", "High", "Chat", at(timedelta(minutes=10)), "", ""],
    # open, never answered
    ["104", "Jessica Rios", "jessica@example.com", "LG Smart TV", "Peripheral compatibility",
     "Nothing works\nat all.", "Open", "", "Critical", "Phone", "", "", ""],
]


def export(rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def imp(world: World, path: Path, dayfirst: bool | None = None) -> ImportSummary:
    """The shipped profile, as ``--profile customer-support-tickets --queue technical``
    (and ``--dayfirst`` when asked)."""
    options = apply_profile(read_profile("customer-support-tickets", "cases"),
                            ImportOptions(queue="technical"), maps=(), values=(),
                            timezone=None, dayfirst=dayfirst)
    return run_import(world.desk, world.sup, "cases", [path], options)


def stored(world: World) -> dict[str, Case]:
    with read_session(world.desk.engine) as session:
        return {c.external_id or "": c for c in session.execute(select(Case)).scalars()}


def events(world: World) -> list[tuple[int, str]]:
    with read_session(world.desk.engine) as session:
        return list(session.execute(select(col(CaseEvent.case_id), col(CaseEvent.kind))))


def test_a_ticket_export_comes_in_as_the_helpdesk_had_it(world: World, tmp_path: Path) -> None:
    policy_files.load_defaults(world.desk)
    path = tmp_path / "tickets.csv"
    path.write_text(export(ROWS), encoding="utf-8")
    summary = imp(world, path)
    assert (summary.read, summary.created, summary.rejected) == (4, 4, 0), summary.errors
    assert summary.customer_lines() == ["contacts: 2 created, 2 matched"]
    cases = stored(world)
    a, b, c, d = (cases[k] for k in ("101", "102", "103", "104"))
    # times, status, satisfaction kept; the export has no created time: its earliest
    assert (a.status, a.satisfaction, a.resolution_notes) == ("closed", 5, "Reset it.")
    assert a.created_at == START + timedelta(minutes=5)
    assert a.first_response_at == START + timedelta(minutes=5)
    assert a.resolved_at == START + timedelta(minutes=50)
    assert "\n\nPlease assist." in a.description
    assert (b.priority, b.channel, b.satisfaction) == ("high", "chat", 1)
    assert (c.status, d.status) == ("awaiting_customer", "new")
    assert a.contact_id == b.contact_id == c.contact_id != d.contact_id
    # outcomes recorded once, as the workflow records them
    assert a.sla_flags & Flag.FIRST_RESPONSE_MET and a.sla_flags & Flag.RESOLUTION_MET
    assert not a.sla_flags & (Flag.FIRST_RESPONSE_BREACHED | Flag.RESOLUTION_BREACHED)
    assert b.resolution_due is not None and b.resolved_at is not None
    assert b.resolved_at > b.resolution_due
    assert b.sla_flags & Flag.RESOLUTION_BREACHED and b.sla_flags & Flag.RESOLUTION_MET
    assert c.sla_flags & Flag.FIRST_RESPONSE_MET and not c.sla_flags & Flag.FIRST_RESPONSE_BREACHED
    # history is stopped; open cases run from the import on
    for case in (a, b):
        assert case.first_response_warn is None and case.resolution_warn is None
        assert case.inactivity_due is None and case.due_at.year == 9999
    assert d.first_response_due is not None and d.first_response_due > T0
    assert d.resolution_due is not None and d.resolution_due > T0
    assert d.inactivity_due is None or d.inactivity_due > T0
    assert c.paused_seconds > 0 and c.paused_at == T0
    # the scan now finds nothing of the past: only the creation events exist
    before = events(world)
    assert sorted(kind for _, kind in before) == ["create"] * 4
    report = scanner.scan(world.desk, T0)
    assert events(world) == before, report
    with read_session(world.desk.engine) as session:
        for case in session.execute(select(Case)).scalars():
            n = session.execute(select(func.count()).select_from(CaseEvent)
                                .where(col(CaseEvent.case_id) == case.id)).scalar_one()
            assert n == case.version
    # the same export again changes nothing
    again = imp(world, path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 0)
    assert again.customer_lines() == ["contacts: 0 created, 4 matched"]
    assert events(world) == before
    with read_session(world.desk.engine) as session:
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 3


def spreadsheet_round_trip(rows: list[list[str]]) -> list[list[str]]:
    """What a spreadsheet makes of the export: ids and ratings as floats, dates day first."""
    out = []
    for row in rows:
        row = list(row)
        row[0] = f"{float(row[0])}"
        for i in (10, 11):
            if row[i]:
                moment = datetime.strptime(row[i], "%Y-%m-%d %H:%M:%S")
                row[i] = moment.strftime("%d/%m/%Y %H:%M")
        if row[12]:
            row[12] = f"{float(row[12])}"
        out.append(row)
    return out


def test_a_spreadsheet_round_trip_is_the_same_export(world: World, tmp_path: Path) -> None:
    first = tmp_path / "tickets.csv"
    first.write_text(export(ROWS), encoding="utf-8")
    assert imp(world, first).created == 4
    edited = tmp_path / "tickets-edited.csv"
    edited.write_text(export(spreadsheet_round_trip(ROWS)), encoding="utf-8")
    assert "101.0," in edited.read_text(encoding="utf-8")
    again = imp(world, edited, dayfirst=True)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 4, 0), \
        again.errors
    assert sorted(stored(world)) == ["101", "102", "103", "104"]


def test_an_unknown_agent_stays_a_name_and_a_known_one_is_matched(world: World,
                                                                  tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,subject,status,assignee,created,resolved\n"
                    "Z1,Old one,closed,Lucía Vieja,2025-01-02 10:00,2025-01-03 10:00\n"
                    "Z2,Known,closed,ANA GARCÍA,2025-01-02 10:00,2025-01-03 10:00\n"
                    "Z3,By login,closed,luis,2025-01-02 10:00,2025-01-03 10:00\n",
                    encoding="utf-8")
    summary = run_import(world.desk, world.sup, "cases", [path],
                         ImportOptions(queue="technical", timezone="UTC"))
    assert (summary.created, summary.rejected) == (3, 0), summary.errors
    cases = stored(world)
    assert cases["Z1"].owner_id is None and cases["Z1"].extras == {"owner": "Lucía Vieja"}
    assert cases["Z2"].owner_id == world.ana.id and cases["Z3"].owner_id == world.luis.id
    assert cases["Z1"].resolved_at == datetime(2025, 1, 3, 10, 0, tzinfo=UTC)


def test_a_time_in_the_future_rejects_its_row(world: World, tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    later = (T0 + DAY).strftime("%Y-%m-%d %H:%M")
    path.write_text(f"id,subject,status,created,resolved\nF1,Later,closed,2025-01-02 10:00,"
                    f"{later}\n", encoding="utf-8")
    summary = run_import(world.desk, world.sup, "cases", [path],
                         ImportOptions(queue="technical", timezone="UTC"))
    assert summary.rejected == 1 and "resolved_at" in summary.errors[0]
    assert "in the future" in summary.errors[0]
