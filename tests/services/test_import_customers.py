"""One customer is one contact (issue 16 point 3): the keys, the matching in files and in the
database, the customers a cases import writes, and migration 0008's merge — both databases."""

from __future__ import annotations

import json
import string
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select, text
from sqlmodel import col

from casedesk.clock import FrozenClock
from casedesk.db import SCHEMA_HEAD, current_revision, make_engine, read_session, upgrade
from casedesk.errors import ValidationError
from casedesk.models import Account, Case, Contact, Interaction
from casedesk.services.context import Desk
from casedesk.services.directory import customers
from casedesk.services.directory.customers import contact_keys, email_key, name_key, phone_key
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from tests.conftest import T0, World


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def imp(world: World, kind: str, path: Path, **options: object) -> ImportSummary:
    return run_import(world.desk, world.sup, kind, [path],
                      ImportOptions(timezone="UTC", **options))  # type: ignore[arg-type]


def contacts(world: World) -> list[Contact]:
    with read_session(world.desk.engine) as session:
        return list(session.execute(select(Contact).order_by(col(Contact.id))).scalars())


# --- the keys -------------------------------------------------------------------------

LATIN = "aeiounAEIOUNáéíóúñÁÉÍÓÚÑüÜçÇ"
SEPARATORS = " -.,'_/"


@given(st.text(alphabet=LATIN + SEPARATORS, max_size=40))
def test_name_key_ignores_accents_case_and_separators(name: str) -> None:
    key = name_key(name)
    assert key == name_key(name.upper()) == name_key(name.lower())
    assert key == name_key(name.replace(" ", "-").replace(".", " "))
    if key is not None:
        assert " " not in key and key == key.lower()
        assert key.isascii() and name_key(key) == key  # folded, and a fixed point


@given(st.text(alphabet=string.ascii_letters + string.digits + "@._-+ñÑ", max_size=30),
       st.text(alphabet=" \t", max_size=3))
def test_email_key_trims_and_lowers(email: str, pad: str) -> None:
    assert email_key(pad + email + pad) == email_key(email.swapcase())
    key = email_key(email)
    assert key is None or (key == key.strip().lower() and key)


@given(st.text(alphabet="0123456789 +-().x/", max_size=30))
def test_phone_key_is_the_digits(phone: str) -> None:
    digits = "".join(c for c in phone if c.isdigit())
    assert phone_key(phone) == (digits if len(digits) >= 6 else None)
    assert phone_key(phone) == phone_key(" ".join(digits))


def test_every_writer_keeps_the_keys(world: World) -> None:
    (juan,) = [c for c in contacts(world) if c.id == world.contact_id]
    assert (juan.email_key, juan.phone_key, juan.name_key) == (
        "juan.perez@example.com", "34600111222", "juanperez")
    assert contact_keys(juan.name, juan.email, juan.phone) == {
        "email_key": juan.email_key, "phone_key": juan.phone_key, "name_key": juan.name_key}


def test_a_second_contact_with_the_same_email_is_refused(world: World) -> None:
    try:
        customers.add_contact(world.desk, name="Otro", email=" JUAN.Perez@example.com")
    except ValidationError as exc:
        assert "already exists" in str(exc)
    else:
        raise AssertionError("a second contact with one e-mail was created")


# --- a contacts file --------------------------------------------------------------------

CONTACTS = """name,email,phone,city
José Núñez,Jose.Nunez@Example.com,,Madrid
JOSE NUNEZ,jose.nunez@example.com ,+34 600 123 456,
José-Núñez,,,Sevilla
Jose Nunez,other.jose@example.com,,
juan perez,,,Bilbao
Marta Gil,,600-999-888,
M. Gil,,+600 999 888,
"""


def test_a_file_naming_one_customer_on_many_rows_makes_one_contact(world: World,
                                                                   tmp_path: Path) -> None:
    path = write(tmp_path / "contacts.csv", CONTACTS)
    summary = imp(world, "contacts", path)
    assert summary.read == 7 and summary.rejected == 0
    # José (e-mail, then phone added, then the name alone), the other José (another
    # e-mail: another person), Marta (phone), and Juan already stored (by name)
    assert (summary.created, summary.updated + summary.unchanged) == (3, 4)
    stored = contacts(world)
    assert len(stored) == 4
    jose = [c for c in stored if c.email_key == "jose.nunez@example.com"]
    assert len(jose) == 1 and jose[0].name == "José Núñez" and jose[0].phone_key == "34600123456"
    assert jose[0].external_id is None
    assert jose[0].extras == {"city": "Madrid"}  # the first row's: later rows only fill
    juan = next(c for c in stored if c.id == world.contact_id)
    assert juan.name == "Juan Pérez" and juan.email == "juan.perez@example.com"  # kept
    assert juan.extras == {"city": "Bilbao"}
    marta = [c for c in stored if c.phone_key and c.phone_key.endswith("999888")]
    assert [m.name for m in marta] == ["Marta Gil"]
    again = imp(world, "contacts", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert len(contacts(world)) == 4


def test_an_external_id_keeps_its_record_and_may_not_take_an_email(world: World,
                                                                   tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", "id,name,email\nK1,Juana,JUAN.PEREZ@example.com\n"
                                     "K2,Kim,kim@example.com\nK3,Kim Bis,KIM@example.com\n")
    summary = imp(world, "contacts", path)
    assert (summary.created, summary.rejected) == (1, 2)
    assert all("two contacts never share one" in e for e in summary.errors)
    assert [c.external_id for c in contacts(world)] == [None, "K2"]


# --- the customers a cases import writes ---------------------------------------------------

TICKETS = """Ticket ID,Customer Name,Customer Email,Company,Ticket Subject,Ticket Status
T1,José Núñez,Jose.Nunez@Example.com,Núñez SL,No internet,Open
T2,JOSE NUNEZ,jose.nunez@example.com,NÚÑEZ S.L.,Invoice,Open
T3,José Núñez,,,Router,Open
T4,Ana Ruiz,ana.ruiz@example.com,,Login,Open
T5,ana ruiz,ANA.RUIZ@EXAMPLE.COM,,Login again,Open
T6,Juan Pérez,JUAN.PEREZ@example.com,,Billing,Open
"""


def test_a_cases_import_creates_or_matches_the_customer_of_each_row(world: World,
                                                                    tmp_path: Path) -> None:
    path = write(tmp_path / "tickets.csv", TICKETS)
    summary = imp(world, "cases", path, queue="technical")
    assert (summary.created, summary.rejected) == (6, 0)
    assert summary.customer_lines() == ["contacts: 2 created, 4 matched",
                                        "accounts: 1 created, 1 matched"]
    with read_session(world.desk.engine) as session:
        by_ext = {c.external_id: c for c in session.execute(select(Case)).scalars()}
        assert by_ext["T1"].contact_id == by_ext["T2"].contact_id == by_ext["T3"].contact_id
        assert by_ext["T4"].contact_id == by_ext["T5"].contact_id != by_ext["T1"].contact_id
        assert by_ext["T6"].contact_id == world.contact_id
        jose = session.get(Contact, by_ext["T1"].contact_id)
        assert jose is not None and jose.account_id is not None
        assert by_ext["T1"].account_id == by_ext["T2"].account_id == jose.account_id
        accounts = session.execute(select(Account.name).where(
            col(Account.name_key) == "nunezsl")).scalars().all()
        assert accounts == ["Núñez SL"]
        assert session.execute(select(func.count()).select_from(Contact)).scalar_one() == 3
    again = imp(world, "cases", path, queue="technical")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert again.customer_lines() == ["contacts: 0 created, 6 matched",
                                      "accounts: 0 created, 2 matched"]
    assert again.to_json()["customers"] == {"contacts": {"created": 0, "matched": 6},
                                            "accounts": {"created": 0, "matched": 2}}


def test_a_dry_run_writes_no_customer(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "tickets.csv", TICKETS)
    summary = imp(world, "cases", path, queue="technical", dry_run=True)
    assert summary.created == 6 and summary.customer_lines()[0] == "contacts: 2 created, 4 matched"
    assert len(contacts(world)) == 1


def test_interactions_name_their_customer_too(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "calls.csv", "id,channel,date,customer name,customer phone\n"
                                         "C1,phone,2025-01-02 10:00,Luz Mar,611 222 333\n"
                                         "C2,phone,2025-01-03 10:00,LUZ MAR,611-222-333\n")
    summary = imp(world, "interactions", path)
    assert summary.created == 2 and summary.customer_lines() == [
        "contacts: 1 created, 1 matched"]
    with read_session(world.desk.engine) as session:
        ids = set(session.execute(select(Interaction.contact_id)).scalars())
    assert len(ids) == 1 and None not in ids


# --- migration 0008 -----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def owned_at_0007(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """A database of its own at 0007, connected as its owner (a migration's rights, also
    when the suite runs as a plain admin login)."""
    if request.param == "sqlite":
        url, server, name = f"sqlite:///{tmp_path / 'old.db'}", None, ""
    else:
        server = request.getfixturevalue("pg_server")
        name = f"m_{uuid.uuid4().hex[:12]}"
        url = server.create_database(name)
    engine = make_engine(url)
    upgrade(engine, "0007")
    yield Desk(engine, FrozenClock(T0))
    engine.dispose()
    if server is not None:
        server.drop_database(name)


def test_0008_merges_contacts_sharing_an_email_and_keeps_their_references(
        owned_at_0007: Desk) -> None:
    desk = owned_at_0007
    assert current_revision(desk.engine) == "0007"
    now = "2026-01-01 10:00:00+00"
    with desk.engine.begin() as conn:
        conn.execute(text("INSERT INTO account (name, tier) VALUES ('Acme', 'gold')"))
        account = conn.execute(text("SELECT id FROM account")).scalar_one()
        for name, email, phone, acc, ext in (
            ("Eva Sol", "eva@example.com", None, None, None),
            ("EVA SOL", " Eva@Example.COM", "+34 600 000 001", account, "E-2"),
            ("Eva", "EVA@example.com", "999", None, "E-3"),
            ("Other", "other@example.com", None, None, None),
        ):
            conn.execute(text("INSERT INTO contact (name, email, phone, account_id, "
                              "marketing_consent, external_id, extras) VALUES (:n, :e, :p, "
                              ":a, false, :x, :j)"),
                         {"n": name, "e": email, "p": phone, "a": acc, "x": ext,
                          "j": json.dumps({"from": name})})
        ids = conn.execute(text("SELECT id FROM contact ORDER BY id")).scalars().all()
        conn.execute(text("INSERT INTO counter (name, value) VALUES ('case', 0)")) \
            if conn.execute(text("SELECT count(*) FROM counter WHERE name = 'case'")
                            ).scalar_one() == 0 else None
        for number, contact in enumerate(ids[:3], start=1):
            conn.execute(text(
                'INSERT INTO "case" (number, title, description, area, priority, severity, '
                "status, contact_id, created_at, updated_at, due_at, paused_seconds, sla_flags, "
                "version) VALUES (:n, 'c', '', 'general', 'medium', 'minor', 'new', :c, :t, :t, "
                ":t, 0, 0, 1)"), {"n": number, "c": contact, "t": now})
            conn.execute(text(
                "INSERT INTO interaction (channel, direction, typification, contact_id, "
                "started_at, duration_seconds, subject, notes, wrap_seconds) VALUES ('phone', "
                "'inbound', 'query', :c, :t, 0, '', '', 0)"), {"c": contact, "t": now})
    assert upgrade(desk.engine) == ("0007", SCHEMA_HEAD)
    with read_session(desk.engine) as session:
        stored = list(session.execute(select(Contact).order_by(col(Contact.id))).scalars())
        assert [c.id for c in stored] == [ids[0], ids[3]]
        eva = stored[0]
        assert (eva.name, eva.email_key, eva.account_id, eva.phone) == (
            "Eva Sol", "eva@example.com", account, "+34 600 000 001")
        assert eva.phone_key == "34600000001" and eva.name_key == "evasol"
        assert eva.external_id == "E-2" and eva.extras == {"from": "Eva Sol"}
        assert set(session.execute(select(Case.contact_id)).scalars()) == {eva.id}
        assert set(session.execute(select(Interaction.contact_id)).scalars()) == {eva.id}
        assert session.execute(select(func.count()).select_from(Interaction)).scalar_one() == 3
    with desk.engine.connect() as conn:
        indexes = {i["name"]: i for i in inspect(conn).get_indexes("contact")}
        assert indexes["ux_contact_email_key"]["unique"]
    try:
        customers.add_contact(desk, name="Eva again", email="eva@EXAMPLE.com")
    except ValidationError:
        pass
    else:
        raise AssertionError("the merged e-mail was taken twice")


def test_json_lines_naming_customers_are_written_in_one_process(world: World,
                                                                tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"J{i}", "channel": "chat", "date": "2026-02-03T10:00:00Z",
                         **({"customer email": f"c{i % 3}@example.com"} if i >= 60 else {})})
             for i in range(120)]
    path = write(tmp_path / "calls.jsonl", "\n".join(lines) + "\n")
    summary = run_import(world.desk, world.sup, "interactions", [path],
                         ImportOptions(batch_size=50, parallel=True))
    assert (summary.created, summary.rejected) == (120, 0), summary.errors
    assert summary.customer_lines() == ["contacts: 3 created, 57 matched"]
    assert any("name customers, written in one process" in w for w in summary.warnings)
    assert len(contacts(world)) == 4
