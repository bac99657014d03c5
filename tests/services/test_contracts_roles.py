"""Contracts, entitlements and time as the agents' own PostgreSQL logins (migration 0009's
grants on top of 0006): supervisors write contracts and templates, agents read them, count
cases and minutes on lines and log call time; the database refuses an agent's template."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest
from sqlalchemy import text

from casedesk.db import make_engine
from casedesk.errors import PermissionDenied
from casedesk.services.contracts import contracts, entitlements, templates
from casedesk.services.queries import customer_view
from casedesk.services.workflow import cases, timelog
from tests.services.test_row_security import Floor, floor  # noqa: F401 - the fixture


def test_supervisors_write_contracts_and_agents_count_on_them(floor: Floor) -> None:  # noqa: F811
    owner = make_engine(floor.url)
    with owner.begin() as conn:
        account = conn.execute(text(
            "INSERT INTO account (name, tier) VALUES ('Pérez Hogar', 'gold') RETURNING id"
        )).scalar_one()
        conn.execute(text("UPDATE contact SET account_id = :a WHERE id = :c"),
                     {"a": account, "c": floor.juan})
    owner.dispose()
    sup_desk = floor.desk_as("rls_sup")
    ana_desk = floor.desk_as("rls_ana")
    try:
        sup = sup_desk.actor("rls_sup")
        templates.add_template(sup_desk, sup, name="Hogar", duration_days=365,
                               lines=[templates.parse_line_spec("Incidencias:cases:1"),
                                      templates.parse_line_spec("Remoto:minutes:30")])
        made = templates.apply_template(sup_desk, sup, "Hogar", account=account,
                                        starts=date(2026, 1, 1))
        assert made.number == "CT-000001" and len(made.lines) == 2
        ana = ana_desk.actor("rls_ana")
        with pytest.raises(PermissionDenied):
            contracts.add_contract(ana_desk, ana, account=account, name="Mío")
        proposal = entitlements.propose(ana_desk, floor.juan, ana.id)
        assert proposal.proposed is not None and proposal.proposed.allotment == "cases"
        first = cases.create_case(ana_desk, ana, title="Sin línea", queue="technical",
                                  contact_id=floor.juan, contract_line_id=proposal.proposed.id)
        minutes_line = next(li.id for li in made.lines if li.allotment == "minutes")
        second = cases.create_case(ana_desk, ana, title="Soporte", queue="technical",
                                   contact_id=floor.juan, contract_line_id=minutes_line)
        logged = timelog.log_call(ana_desk, ana, wrap_seconds=90, case=second.label,
                                  channel="phone", subject="Llama", duration_seconds=1790,
                                  contact_id=floor.juan)
        assert (logged.handle_minutes, logged.after_call_minutes) == (30, 2)
        assert logged.entitlement is not None and logged.entitlement["state"] == "exhausted"
        assert timelog.case_time(ana_desk, second.label).total_minutes == 32
        shown = contracts.get_contract(ana_desk, "CT-000001")
        assert [(li.used, li.state) for li in shown.lines] == [(1, "exhausted"),
                                                               (32, "exhausted")]
        view = customer_view.customer_view(ana_desk, contact_id=floor.juan, agent_id=ana.id)
        assert {c.label for c in view.open_cases} >= {first.label, second.label}
        assert [t.name for t in templates.list_templates(ana_desk)] == ["Hogar"]
    finally:
        sup_desk.engine.dispose()
        ana_desk.engine.dispose()
    with floor.connect("rls_ana") as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("INSERT INTO contract_template (name, description, duration_days) "
                     "VALUES ('x', '', 1)")
