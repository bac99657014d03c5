"""Issue 10, point 7: the role order, the last admin, bin capacity, validated e-mail
addresses, and who may send an article or log time on a case."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from casedesk.db import read_session, write_session
from casedesk.errors import BinFull, NotFound, PermissionDenied, ValidationError
from casedesk.models import Agent, ArticleLink, CaseEvent, Contract, ContractLine, Interaction
from casedesk.services.directory import customers, staff
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.knowledge import library
from casedesk.services.queries import reads
from casedesk.services.workflow import cases, transitions
from tests.conftest import World

# --- role order -----------------------------------------------------------------------


def test_supervisor_cannot_create_or_make_admins(world: World) -> None:
    with pytest.raises(PermissionDenied, match="only an admin may make an admin"):
        staff.add_agent(world.desk, world.sup, login="boss", name="Boss", role="admin")
    with pytest.raises(PermissionDenied, match="only an admin may make an admin"):
        staff.set_agent_role(world.desk, world.sup, "ana", "admin")
    with pytest.raises(PermissionDenied, match="only an admin may change an admin"):
        staff.set_agent_role(world.desk, world.sup, "admin", "agent")
    with pytest.raises(PermissionDenied, match="only an admin may change an admin"):
        staff.set_agent_active(world.desk, world.sup, "admin", False)
    with pytest.raises(PermissionDenied, match="only supervisors"):
        staff.add_agent(world.desk, world.ana, login="new", name="New")
    assert staff.add_agent(world.desk, world.sup, login="sup2", name="S",
                               role="supervisor").role == "supervisor"
    assert staff.set_agent_role(world.desk, world.sup, "ana", "supervisor").role == \
        "supervisor"
    assert staff.add_agent(world.desk, world.admin, login="adm2", name="A",
                               role="admin").role == "admin"
    with read_session(world.desk.engine) as s:
        assert s.execute(select(func.count()).select_from(Agent)
                         .where(Agent.login == "boss")).scalar_one() == 0


def test_last_active_admin_stays(world: World) -> None:
    with pytest.raises(PermissionDenied, match="last active admin"):
        staff.set_agent_role(world.desk, world.admin, "admin", "supervisor")
    with pytest.raises(PermissionDenied, match="last active admin"):
        staff.set_agent_active(world.desk, world.admin, "admin", False)
    staff.set_agent_role(world.desk, world.admin, "maria", "admin")
    assert staff.set_agent_active(world.desk, world.admin, "admin", False).active is False
    maria = world.desk.actor("maria")
    with pytest.raises(PermissionDenied, match="last active admin"):
        staff.set_agent_role(world.desk, maria, "maria", "agent")


def _import_agents(world: World, actor, tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "agents.csv"
    path.write_text(text, encoding="utf-8")
    return run_import(world.desk, actor, "agents", [path], ImportOptions())


def test_import_agents_follows_the_role_order(world: World, tmp_path: Path) -> None:
    summary = _import_agents(world, world.sup, tmp_path,
                             "login,name,role,active\n"
                             "ana,Ana García,admin,true\n"      # promotion: refused
                             "pedro,Pedro Gil,admin,true\n"     # new admin: refused
                             "admin,Admin,admin,false\n"        # changing an admin: refused
                             "luis,Luis Romero,supervisor,true\n"
                             "rosa,Rosa Sanz,agent,true\n")
    assert (summary.created, summary.updated, summary.rejected) == (1, 1, 3)
    with read_session(world.desk.engine) as s:
        roles = dict(s.execute(select(Agent.login, Agent.role)).all())
        admin_active = s.execute(select(Agent.active).where(Agent.login == "admin")).scalar()
    assert roles["ana"] == "agent" and "pedro" not in roles and roles["luis"] == "supervisor"
    assert roles["rosa"] == "agent" and admin_active is True


def test_import_agents_never_removes_the_last_admin(world: World, tmp_path: Path) -> None:
    summary = _import_agents(world, world.admin, tmp_path,
                             "login,name,role,active\nadmin,Admin,supervisor,true\n")
    assert summary.rejected == 1
    summary = _import_agents(world, world.admin, tmp_path,
                             "login,name,role,active\n"
                             "nueva,Nueva Admin,admin,true\n"
                             "admin,Admin,admin,false\n")
    assert (summary.created, summary.updated, summary.rejected) == (1, 1, 0)
    summary = _import_agents(world, world.admin, tmp_path,
                             "login,name,role,active\nnueva,Nueva Admin,agent,true\n")
    assert summary.rejected == 1
    with read_session(world.desk.engine) as s:
        admins = s.execute(select(Agent.login).where(Agent.role == "admin",
                                                     Agent.active.is_(True))).scalars().all()
    assert admins == ["nueva"]


# --- capacity ---------------------------------------------------------------------------


def _small_bin(world: World, capacity: int = 2) -> None:
    staff.add_agent(world.desk, world.admin, login="eva", name="Eva Mora",
                        capacity=capacity, queues=["technical"])


def test_accept_and_next_refuse_a_full_bin(world: World) -> None:
    _small_bin(world)
    eva = world.desk.actor("eva")
    numbers = [cases.create_case(world.desk, world.ana, title=f"c{i}", queue="technical").number
               for i in range(4)]
    transitions.accept(world.desk, eva, numbers[0])
    transitions.next_case(world.desk, eva, "technical")
    with pytest.raises(BinFull, match=r"your bin is full \(2 of 2\): resolve"):
        transitions.accept(world.desk, eva, numbers[3])
    with pytest.raises(BinFull, match=r"your bin is full \(2 of 2"):
        transitions.next_case(world.desk, eva, "technical")
    assert len(reads.wip_bin(world.desk, eva.id)) == 2
    transitions.dispatch(world.desk, eva, numbers[0])  # room again
    assert transitions.accept(world.desk, eva, numbers[3]).owner == "eva"


def test_assign_beyond_capacity_needs_the_override(world: World) -> None:
    _small_bin(world, capacity=1)
    a = cases.create_case(world.desk, world.ana, title="a", queue="technical")
    b = cases.create_case(world.desk, world.ana, title="b", queue="technical")
    transitions.assign(world.desk, world.sup, a.number, "eva")
    with pytest.raises(BinFull, match=r"Eva Mora's bin is full \(1 of 1\): override") as err:
        transitions.assign(world.desk, world.sup, b.number, "eva")
    assert (err.value.wip, err.value.capacity) == (1, 1)
    got = transitions.assign(world.desk, world.sup, b.number, "eva", override_capacity=True)
    assert got.owner == "eva"
    with read_session(world.desk.engine) as s:
        data = s.execute(select(CaseEvent.data).where(CaseEvent.case_id == got.id,
                                                      CaseEvent.kind == "assign")).scalar_one()
    assert data == {"over_capacity": [1, 1]}


# --- e-mail addresses ---------------------------------------------------------------------


def test_addresses_are_validated_on_agents_and_contacts(world: World) -> None:
    with pytest.raises(ValidationError, match="not an e-mail address"):
        staff.add_agent(world.desk, world.admin, login="x1", name="X", email="no at all")
    with pytest.raises(ValidationError, match="not an e-mail address"):
        customers.add_contact(world.desk, name="X", email="a..b@example.com")
    agent = staff.add_agent(world.desk, world.admin, login="x2", name="X",
                                email=' "Big Bug"@example.com ')
    contact = customers.add_contact(world.desk, name="Big Bug", email='"Big Bug"@example.com')
    with read_session(world.desk.engine) as s:
        assert s.execute(select(Agent.email).where(Agent.id == agent.id)).scalar() == \
            '"Big Bug"@example.com'
    assert customers.find_contacts(world.desk, "big bug")[0]["id"] == contact


# --- sending and logging time need the case --------------------------------------------------


def _published(world: World) -> int:
    a = library.add_article(world.desk, world.sup, title="Reiniciar el router", body="Paso 1")
    return library.publish(world.desk, world.sup, a.number).number


def test_send_needs_owner_member_or_supervisor(world: World) -> None:
    article = _published(world)
    c = cases.create_case(world.desk, world.ana, title="x", queue="billing",
                          contact_id=world.contact_id)
    with pytest.raises(PermissionDenied, match="only its owner, a member of its queue"):
        library.send_to_customer(world.desk, world.carmen, article, c.number)
    stranger = customers.add_contact(world.desk, name="Otro", email="otro@example.com")
    with pytest.raises(PermissionDenied, match="not CS-000001's customer"):
        library.send_to_customer(world.desk, world.ana, article, c.number, contact_id=stranger)
    with read_session(world.desk.engine) as s:
        assert s.execute(select(func.count()).select_from(Interaction)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(ArticleLink)).scalar_one() == 0
    assert reads.get_case(world.desk, c.number).first_response_at is None
    library.send_to_customer(world.desk, world.ana, article, c.number)  # a member
    library.send_to_customer(world.desk, world.sup, article, c.number)  # a supervisor


def test_time_needs_the_case_and_its_own_contract_line(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x", queue="billing",
                          contact_id=world.contact_id)
    with pytest.raises(PermissionDenied, match="may log time on it"):
        cases.log_time(world.desk, world.carmen, c.number, 1440)
    cases.log_time(world.desk, world.ana, c.number, 30)
    other_account = customers.add_account(world.desk, name="Otra Empresa")
    with write_session(world.desk.engine) as s:
        s.add(Contract(number="K-1", account_id=other_account, name="Soporte"))
        s.flush()
        contract_id = s.execute(select(Contract.id)).scalar_one()
        s.add(ContractLine(contract_id=contract_id, name="horas", allotment="minutes",
                           total=600))
        s.flush()
        line = s.execute(select(ContractLine.id)).scalar_one()
    with pytest.raises(ValidationError, match="another customer's contract"):
        cases.update_case(world.desk, world.ana, c.number, version=c.version + 1,
                          contract_line_id=line)
    with pytest.raises(ValidationError, match="another customer's contract"):
        cases.create_case(world.desk, world.ana, title="y", contact_id=world.contact_id,
                          contract_line_id=line)
    with pytest.raises(NotFound):
        cases.create_case(world.desk, world.ana, title="y", contract_line_id=line + 99)
