"""Routing rules on both databases: every entry point (workstation/CLI ``create_case``, the
case importer, the e-mail importer) routes a new case by the rules inside the creating
transaction, with the reason on its create event and timeline; loading, listing, moving,
enabling; account facts (tier, products, contract) read from the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from casedesk.db import read_session, write_session
from casedesk.errors import NotFound, PermissionDenied, ValidationError
from casedesk.i18n import set_language
from casedesk.models import (
    AccountProduct,
    Case,
    CaseEvent,
    CategorySkill,
    Contact,
    Contract,
    ContractLine,
    Product,
    Queue,
    RoutingRule,
)
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.queries import reads
from casedesk.services.routing import assign, rule_files
from casedesk.services.routing import rules as routing
from casedesk.services.routing.rules import NewCase
from casedesk.services.sla import policy_files
from casedesk.services.workflow import cases
from tests.conftest import World
from tests.services.test_imports_mail import mbox, message

RULES = """
[[rule]]
name = "vip"
queue = "commercial"
set_priority = "high"
when = { tier = "vip" }

[[rule]]
name = "facturas"
queue = "billing"
when = { keywords = ["factura", "cobro"] }

[[rule]]
name = "fibra"
queue = "technical"
set_severity = "major"
when = { product = "FIBRA-600", contract = true }

[categories.billing]
skills = ["facturación"]
"""


def write(tmp_path: Path, text: str, name: str = "rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def product(world: World) -> int:
    """The product FIBRA-600 the rules name (added the first time)."""
    with write_session(world.desk.engine) as s:
        found = s.execute(select(Product.id).where(Product.code == "FIBRA-600")).scalar()
        if found is None:
            found = s.execute(insert(Product).values(code="FIBRA-600", name="Fibra 600 Mb")
                              .returning(Product.id)).scalar_one()
        return int(found)


def load(world: World, tmp_path: Path, text: str = RULES, **kw: Any) -> rule_files.LoadReport:
    product(world)
    return rule_files.load_rules(world.desk, world.sup, write(tmp_path, text), **kw)


def create_event(world: World, number: int) -> CaseEvent:
    with read_session(world.desk.engine) as s:
        case_id = s.execute(select(Case.id).where(Case.number == number)).scalar_one()
        event: CaseEvent = s.execute(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "create")
        ).scalar_one()
        return event


def events_match_versions(world: World) -> None:
    with read_session(world.desk.engine) as s:
        for case_id, version in s.execute(select(Case.id, Case.version)):
            count = s.execute(select(func.count()).select_from(CaseEvent)
                              .where(CaseEvent.case_id == case_id)).scalar_one()
            assert count == version


def test_create_case_routes_with_the_reason_on_the_timeline(world: World,
                                                            tmp_path: Path) -> None:
    policy_files.load_defaults(world.desk)
    assert load(world, tmp_path).to_json() == {"rules": 3, "removed": 0, "categories": 1,
                                               "mode": "replace"}
    made = cases.create_case(world.desk, world.ana, title="Me cobraron dos veces la FACTURACIÓN")
    assert (made.queue, made.owner) == ("billing", None)
    event = create_event(world, made.number)
    reason = "rule 2 'facturas': keyword 'factura'; manual: waits to be pulled"
    assert event.note == reason
    assert event.data["routing"] == {
        "rule": event.data["routing"]["rule"], "rule_name": "facturas", "position": 2,
        "queue": "billing", "agent": None, "strategy": "manual", "priority": None,
        "severity": None, "reason": reason, "matched": [["keywords", "factura"]]}
    # the timeline composes the reason from those pieces, in the reader's language
    said = "rule 2 “facturas”: keyword “factura”; waits in queue billing"
    assert any(said in e.text for e in reads.timeline(world.desk, made.label))
    set_language("es")
    dicho = "regla 2 «facturas»: palabra clave «factura»; espera en la cola billing"
    assert any(dicho in e.text for e in reads.timeline(world.desk, made.label))
    set_language("en")
    # a rule that raises the priority does so before the SLA policy is chosen
    vip = _vip_contact(world)
    routed = cases.create_case(world.desk, world.ana, title="Consulta", contact_id=vip)
    assert (routed.queue, routed.priority) == ("commercial", "high")
    high = cases.create_case(world.desk, world.ana, title="Consulta", priority="high",
                             queue="commercial", contact_id=vip)
    assert routed.sla_policy == high.sla_policy
    assert "(priority medium → high)" in (create_event(world, routed.number).note or "")
    events_match_versions(world)


def _vip_contact(world: World) -> int:
    from casedesk.services.directory import customers

    account = customers.add_account(world.desk, name="Banco Grande", tier="vip")
    return customers.add_contact(world.desk, name="Director", account_id=account)


def test_no_match_stays_in_the_creators_bin_and_a_given_queue_is_kept(
        world: World, tmp_path: Path) -> None:
    load(world, tmp_path)
    mine = cases.create_case(world.desk, world.ana, title="Otra cosa")
    assert (mine.queue, mine.owner) == (None, "ana")
    assert create_event(world, mine.number).note is None
    given = cases.create_case(world.desk, world.ana, title="Factura", queue="technical")
    assert given.queue == "technical"  # no rule moves a case opened into a queue
    assert "routing" not in (create_event(world, given.number).data or {})  # manual queue


def test_the_strategy_picks_an_agent(world: World, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Non-manual strategies go to ``assign.pick_agent`` (the assignment stream's); here a
    stand-in says what it was asked and picks Ana."""
    asked: list[tuple[Any, ...]] = []

    def pick(session: Any, queue_id: int, strategy: str, **kw: Any) -> assign.Pick:
        asked.append((queue_id, strategy, tuple(kw["required_skills"]), kw["area"]))
        return assign.Pick(world.ana.id, "ana", "least loaded: 0 of 10")

    monkeypatch.setattr(routing, "pick_agent", pick)
    load(world, tmp_path, RULES.replace('name = "facturas"\nqueue = "billing"',
                                        'name = "facturas"\nqueue = "billing"\n'
                                        'strategy = "least_loaded"\n'
                                        'required_skills = ["facturación"]'))
    made = cases.create_case(world.desk, world.luis, title="Recibo y cobro", area="billing")
    assert (made.queue, made.owner) == ("billing", "ana")
    with read_session(world.desk.engine) as s:
        billing = s.execute(select(Queue.id).where(Queue.name == "billing")).scalar_one()
    assert asked == [(billing, "least_loaded", ("facturación",), "billing")]
    event = create_event(world, made.number)
    assert event.note == "rule 2 'facturas': keyword 'cobro'; least loaded: 0 of 10"
    assert event.to_owner_id == world.ana.id and event.data["routing"]["agent"] == "ana"
    # a queue given explicitly: its own strategy picks, said with the queue's name
    with write_session(world.desk.engine) as s:
        s.execute(update(Queue).where(Queue.name == "technical").values(strategy="round_robin"))
    given = cases.create_case(world.desk, world.luis, title="x", queue="technical")
    assert given.owner == "ana"
    assert create_event(world, given.number).note == "queue technical: least loaded: 0 of 10"
    events_match_versions(world)


def test_account_facts_come_from_the_database(world: World, tmp_path: Path) -> None:
    fibra = product(world)
    with write_session(world.desk.engine) as s:
        account = s.execute(select(Contact.account_id).where(Contact.id == world.contact_id)
                            ).scalar_one()
        s.execute(insert(AccountProduct).values(account_id=account, product_id=fibra))
        contract = s.execute(insert(Contract).values(number="C-77", account_id=account,
                                                     name="Soporte Hogar")
                             .returning(Contract.id)).scalar_one()
        line = s.execute(insert(ContractLine).values(contract_id=contract, name="Incidencias")
                         .returning(ContractLine.id)).scalar_one()
    load(world, tmp_path)
    without = cases.create_case(world.desk, world.ana, title="Lento", contact_id=world.contact_id)
    assert without.queue is None  # holds the product but has no contract line
    made = cases.create_case(world.desk, world.ana, title="Lento", contact_id=world.contact_id,
                             contract_line_id=line)
    assert (made.queue, made.severity) == ("technical", "major")
    assert (create_event(world, made.number).note or "").startswith(
        "rule 3 'fibra': holds product FIBRA-600, has a contract line (severity minor → major)")
    with read_session(world.desk.engine) as s:
        lines = rule_files.explain_lines(s, NewCase(title="x", account_id=account,
                                                    contract_line_id=line))
    assert [t.why for t in lines] == [
        "tier is gold, not vip",
        "none of the keywords 'factura', 'cobro' in the subject or description",
        "holds product FIBRA-600, has a contract line"]
    assert [t.routes for t in lines] == [False, False, True]
    with write_session(world.desk.engine) as s:
        s.execute(update(RoutingRule).values(conditions={"contract": "soporte hogar"}))
    with read_session(world.desk.engine) as s:
        got = routing.decide(s, NewCase(title="x", contract_line_id=line), world.desk.now(),
                             pick=False)
    assert got is not None and got.reason == (
        "rule 1 'vip': contract soporte hogar (priority medium → high); to queue commercial")


def test_load_replaces_or_upserts_all_or_nothing(world: World, tmp_path: Path) -> None:
    load(world, tmp_path)
    bad = RULES + '\n[[rule]]\nname = "roto"\nqueue = "nowhere"\n'
    with pytest.raises(ValidationError, match="rule 'roto': queue: no queue 'nowhere'"):
        load(world, tmp_path, bad.replace('name = "vip"', 'name = "vip2"'))
    assert [r.name for r in rule_files.list_rules(world.desk)] == ["vip", "facturas", "fibra"]
    with pytest.raises(ValidationError, match="when.product: no product 'TV'"):
        load(world, tmp_path, '[[rule]]\nname = "tv"\nqueue = "technical"\n'
                              'when = { product = "TV" }\n')
    report = load(world, tmp_path, '[[rule]]\nname = "tv"\nqueue = "technical"\n'
                                   'position = 1\nwhen = { keywords = "televisión" }\n',
                  upsert=True)
    assert report.mode == "upsert"
    assert [(r.position, r.name) for r in rule_files.list_rules(world.desk)] == [
        (1, "tv"), (2, "vip"), (3, "facturas"), (4, "fibra")]
    report = load(world, tmp_path, '[[rule]]\nname = "facturas"\nqueue = "billing"\n'
                                   'when = { keywords = "factura" }\n')
    assert (report.rules, report.removed) == (1, 3)
    assert [r.name for r in rule_files.list_rules(world.desk)] == ["facturas"]
    with read_session(world.desk.engine) as s:
        assert s.execute(select(CategorySkill.skills).where(CategorySkill.area == "billing")
                         ).scalar_one() == ["facturación"]
    yaml_file = write(tmp_path, "rules:\n  - name: otra\n    queue: billing\n", "r.yaml")
    rule_files.load_rules(world.desk, world.sup, yaml_file)
    assert [r.name for r in rule_files.list_rules(world.desk)] == ["otra"]


def test_move_enable_disable_and_rights(world: World, tmp_path: Path) -> None:
    load(world, tmp_path)
    with pytest.raises(PermissionDenied):
        rule_files.load_rules(world.desk, world.ana, write(tmp_path, RULES))
    with pytest.raises(PermissionDenied):
        rule_files.move_rule(world.desk, world.ana, "vip", 3)
    with pytest.raises(PermissionDenied):
        rule_files.set_active(world.desk, world.ana, "vip", False)
    with pytest.raises(NotFound, match="no routing rule 'nada'"):
        rule_files.set_active(world.desk, world.sup, "nada", False)
    moved = rule_files.move_rule(world.desk, world.sup, "vip", 99)
    assert [(r.position, r.name) for r in moved] == [(1, "facturas"), (2, "fibra"), (3, "vip")]
    moved = rule_files.move_rule(world.desk, world.sup, "fibra", 1)
    assert [r.name for r in moved] == ["fibra", "facturas", "vip"]
    rule_files.set_active(world.desk, world.sup, "facturas", False)
    made = cases.create_case(world.desk, world.ana, title="Factura")
    assert made.queue is None  # the only matching rule is disabled
    rule_files.set_active(world.desk, world.sup, "facturas", True)
    assert cases.create_case(world.desk, world.ana, title="Factura").queue == "billing"


def test_the_case_importer_routes_rows_without_a_queue(world: World, tmp_path: Path) -> None:
    policy_files.load_defaults(world.desk)
    load(world, tmp_path)
    path = tmp_path / "cases.csv"
    path.write_text("id,title,queue,status\n"
                    "T-1,Error en la factura,,new\n"
                    "T-2,Cobro antiguo,,closed\n"
                    "T-3,Factura,technical,new\n"
                    "T-4,Sin regla,,new\n", encoding="utf-8")
    summary = run_import(world.desk, world.sup, "cases", [path],
                         ImportOptions(queue="commercial"))
    assert summary.created == 4
    with read_session(world.desk.engine) as s:
        rows = {ext: (q, o) for ext, q, o in s.execute(
            select(Case.external_id, Queue.name, Case.owner_id)
            .join(Queue, Queue.id == Case.queue_id))}
    assert rows == {"T-1": ("billing", None), "T-2": ("billing", None),
                    "T-3": ("technical", None), "T-4": ("commercial", None)}
    with read_session(world.desk.engine) as s:
        notes = dict(s.execute(select(Case.external_id, CaseEvent.note)
                               .join(CaseEvent, CaseEvent.case_id == Case.id)).all())
    assert notes["T-1"] == ("imported from cases.csv:2; rule 2 'facturas': keyword 'factura'; "
                            "manual: waits to be pulled")
    assert notes["T-2"].endswith("keyword 'cobro'; to queue billing")  # history: no agent
    assert notes["T-3"] == "imported from cases.csv:4"
    events_match_versions(world)


def test_the_mail_importer_routes_by_subject_and_body(world: World, tmp_path: Path) -> None:
    policy_files.load_defaults(world.desk)
    load(world, tmp_path, RULES.replace('keywords = ["factura", "cobro"]',
                                        'keywords = ["factura", "cobro"], channel = "email"'))
    box = mbox(tmp_path / "in.mbox", message("<a@x>", "Consulta", html=None),
               message("<b@x>", "Problema con un COBRO"))
    summary = run_import(world.desk, world.sup, "emails", [box], ImportOptions())
    assert summary.created == 2
    with read_session(world.desk.engine) as s:
        got = {title: (queue, note) for title, queue, note in s.execute(
            select(Case.title, Queue.name, CaseEvent.note)
            .join(Queue, Queue.id == Case.queue_id)
            .join(CaseEvent, CaseEvent.case_id == Case.id))}
    assert got["Problema con un COBRO"] == (
        "billing", "opened from e-mail <b@x>; rule 2 'facturas': channel email, keyword "
                   "'cobro'; manual: waits to be pulled")
    assert got["Consulta"][0] == "technical" and got["Consulta"][1] == "opened from e-mail <a@x>"
    events_match_versions(world)
