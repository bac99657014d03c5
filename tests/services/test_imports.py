"""Imports of table-shaped files (CSV, JSON Lines, XLSX) on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from casedesk.db import read_session
from casedesk.errors import ConfigError, PermissionDenied, ValidationError
from casedesk.models import (
    Account,
    Agent,
    Article,
    Case,
    CaseEvent,
    Contact,
    Interaction,
    Queue,
    QueueMember,
)
from casedesk.services.imports.export import export_records
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.sla import policy_files
from tests.conftest import World

CONTACTS = (
    "Código Cliente,Nombre,Correo Electrónico,Teléfono,Empresa,Ciudad\n"
    "C1,Juan Peña,Juan@Example.com,+34 600 111 222,Pérez Hogar,Sevilla\n"
    "C2,Ana Ruiz,ana@example.com,,,Madrid\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def rows(world: World, model: type, *where: object) -> list:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(model).where(*where)).scalars())


def count(world: World, model: type) -> int:
    with read_session(world.desk.engine) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def imp(world: World, kind: str, *paths: Path, **options: object):  # type: ignore[no-untyped-def]
    return run_import(world.desk, world.sup, kind, list(paths), ImportOptions(**options))


# --- formats and encodings ----------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_csv_encodings_spanish_headers_and_extras(world: World, tmp_path: Path,
                                                  encoding: str) -> None:
    path = write(tmp_path / "contacts.csv", CONTACTS, encoding)
    summary = imp(world, "contacts", path)
    assert summary.to_json() == {"read": 2, "created": 2, "updated": 0, "unchanged": 0,
                                 "rejected": 0, "rejects": None}
    (juan,) = rows(world, Contact, Contact.external_id == "C1")
    assert juan.name == "Juan Peña" and juan.email == "juan@example.com"
    assert juan.phone == "+34 600 111 222" and juan.extras == {"Ciudad": "Sevilla"}
    (account,) = rows(world, Account, Account.name == "Pérez Hogar")
    assert juan.account_id == account.id


def test_semicolon_delimiter_and_multiline_quoted_field(world: World, tmp_path: Path) -> None:
    text = ('id;nombre;asunto;descripción;prioridad;severidad;cola\n'
            'T-1;x;"Router; sin conexión";"línea 1\nlínea 2\n""citado""";Alta;Crítica;'
            'technical\n'
            'T-2;x;Factura duplicada;;baja;menor;billing\n')
    path = write(tmp_path / "cases.csv", text)
    summary = imp(world, "cases", path, mappings=("nombre=-",))
    assert (summary.read, summary.created, summary.rejected) == (2, 2, 0)
    (case,) = rows(world, Case, Case.external_id == "T-1")
    assert case.title == "Router; sin conexión"
    assert case.description == 'línea 1\nlínea 2\n"citado"'
    assert (case.priority, case.severity) == ("high", "critical")


def test_jsonl(world: World, tmp_path: Path) -> None:
    lines = [
        {"id": "A1", "name": "Acme", "tier": "oro", "sector": "retail"},
        {"id": "A2", "nombre": "Beta", "nivel": "VIP", "empleados": 12},
        {"id": "A3", "name": "Gamma", "tier": "platinum"},
        "not an object",
    ]
    path = tmp_path / "accounts.jsonl"
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n{bad\n")
    summary = imp(world, "accounts", path)
    assert (summary.read, summary.created, summary.rejected) == (5, 2, 3)
    (beta,) = rows(world, Account, Account.external_id == "A2")
    assert beta.tier == "vip" and beta.extras == {"empleados": 12}
    rejects = [json.loads(x) for x in Path(summary.rejects[0]).read_text().splitlines()]
    assert rejects[0]["id"] == "A3" and rejects[0]["_reason"].startswith('tier: "platinum"')
    assert rejects[1] == {"_raw": '"not an object"', "_reason": "not a JSON object"}
    assert rejects[2]["_reason"].startswith("bad JSON")


def test_xlsx_with_sheet_and_typed_cells(world: World, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Portada"
    sheet = book.create_sheet("Llamadas")
    sheet.append(["Fecha", "Canal", "Sentido", "Cliente", "Agente", "Duración", "Asunto"])
    sheet.append([datetime(2026, 3, 1, 10, 30), "Teléfono", "Entrante",
                  "juan.perez@example.com", "ana", 125, "Sin línea"])
    sheet.append(["01/02/2026 09:00", "correo", "saliente", None, "ana", "02:05", "Respuesta"])
    path = tmp_path / "calls.xlsx"
    book.save(path)
    with pytest.raises(ConfigError, match="has no sheet 'Nope'.*Portada, Llamadas"):
        imp(world, "interactions", path, sheet="Nope")
    summary = imp(world, "interactions", path, sheet="Llamadas")
    assert (summary.created, summary.rejected) == (2, 0)
    calls = sorted(rows(world, Interaction), key=lambda i: i.started_at)
    # naive times are Madrid wall-clock times; 1 Feb (dayfirst) is before 1 March
    assert calls[0].started_at == datetime(2026, 2, 1, 8, 0, tzinfo=UTC)
    assert calls[1].started_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert calls[1].contact_id == world.contact_id and calls[1].duration_seconds == 125
    assert calls[0].duration_seconds == 125 and calls[0].direction == "outbound"


# --- validation, rejects, dry run, abort --------------------------------------------


def test_rejects_file_keeps_bad_rows_unchanged_with_reason(world: World, tmp_path: Path) -> None:
    text = ("id;name;email;account\r\n"
            "1;Good;good@example.com;\r\n"
            "2;Bad mail;juan@;\r\n"
            '3;"Multi\r\nline";x@example.com;Nadie SL\r\n'
            "4;Too;many;fields;here\r\n"
            "5;;nobody@example.com;\r\n")
    path = write(tmp_path / "contacts.csv", text, "cp1252")
    summary = imp(world, "contacts", path)
    assert (summary.read, summary.created, summary.rejected) == (5, 1, 4)
    assert summary.errors == [
        'contacts.csv:3: email: "juan@" is not an e-mail address',
        'contacts.csv:4: account: no account with id or name "Nadie SL"',
        "contacts.csv:6: has 5 fields, the header has 4",
        "contacts.csv:7: name: missing",
    ]
    rejects = Path(summary.rejects[0])
    assert rejects.name == "contacts.rejects.csv"
    assert rejects.read_bytes().decode("cp1252") == (
        "id;name;email;account;_reason\r\n"
        '2;Bad mail;juan@;;"email: ""juan@"" is not an e-mail address"\r\n'
        '3;"Multi\r\nline";x@example.com;Nadie SL;"account: no account with id or name '
        '""Nadie SL"""\r\n'
        '4;Too;many;fields;here;"has 5 fields, the header has 4"\r\n'
        '5;;nobody@example.com;;"name: missing"\r\n'
    )
    # fixing the file and importing again removes the stale rejects file
    write(path, "id;name;email\r\n1;Good;good@example.com\r\n")
    assert imp(world, "contacts", path).unchanged == 1
    assert not rejects.exists()


def test_dry_run_writes_nothing(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "contacts.csv", CONTACTS + "C3,Bad,bad@,,,\n")
    before = count(world, Contact)
    summary = imp(world, "contacts", path, dry_run=True)
    assert (summary.created, summary.rejected, summary.rejects) == (2, 1, [])
    assert count(world, Contact) == before
    assert not (tmp_path / "contacts.rejects.csv").exists()


def test_abort_writes_nothing_when_a_row_is_bad(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "contacts.csv", CONTACTS + "C3,Bad,bad@,,,\n")
    before = count(world, Contact)
    with pytest.raises(ValidationError, match=r"1 of 3 rows rejected, nothing imported.*"
                                              r"contacts.csv:4: email"):
        imp(world, "contacts", path, on_error="abort", batch_size=1)
    assert count(world, Contact) == before
    ok = write(tmp_path / "ok.csv", CONTACTS)
    assert imp(world, "contacts", ok, on_error="abort").created == 2


def test_unusable_files_and_flags_are_config_errors(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "contacts.csv", CONTACTS)
    with pytest.raises(ConfigError, match="unknown kind 'people'"):
        imp(world, "people", path)
    with pytest.raises(ConfigError, match="no such file"):
        imp(world, "contacts", tmp_path / "missing.csv")
    with pytest.raises(ConfigError, match="contacts have no field 'nmae'"):
        imp(world, "contacts", path, mappings=("Nombre=nmae",))
    with pytest.raises(ConfigError, match='write it as "COLUMN=FIELD"'):
        imp(world, "contacts", path, mappings=("Nombre",))
    with pytest.raises(ConfigError, match="has no column 'Surname'"):
        imp(world, "contacts", path, mappings=("Surname=name",))
    with pytest.raises(ConfigError, match="no column for name"):
        imp(world, "contacts", write(tmp_path / "x.csv", "mail,phone\na@b.es,600111222\n"))
    with pytest.raises(ConfigError, match="cannot read contacts.csv as utf-8"):
        imp(world, "contacts", write(path, CONTACTS, "cp1252"), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown encoding"):
        imp(world, "contacts", path, encoding="klingon")
    with pytest.raises(ConfigError, match="is empty"):
        imp(world, "contacts", write(tmp_path / "empty.csv", ""))
    with pytest.raises(ConfigError, match="unknown time zone"):
        imp(world, "contacts", path, timezone="Mars/Olympus")
    with pytest.raises(PermissionDenied):
        run_import(world.desk, world.ana, "contacts", [path])


def test_map_overrides_synonyms(world: World, tmp_path: Path) -> None:
    text = "Ticket Subject,Nombre,Ticket Body\nSin red,ignored,detalle\n"
    path = write(tmp_path / "cases.csv", text)
    summary = imp(world, "cases", path, mappings=("Ticket Subject=title", "nombre=-",
                                                  "Ticket Body=descripción"), queue="billing")
    assert summary.created == 1
    (case,) = rows(world, Case)
    assert (case.title, case.description, case.extras) == ("Sin red", "detalle", None)


def test_dates_dayfirst_monthfirst_and_timezone(world: World, tmp_path: Path) -> None:
    text = ("id,canal,fecha\n1,phone,03/04/2026 10:00\n2,phone,2026-03-04T10:00:00+00:00\n"
            "3,phone,25/12/2026\n4,phone,31/02/2026\n")
    path = write(tmp_path / "calls.csv", text)
    summary = imp(world, "interactions", path)
    assert summary.errors == ['calls.csv:5: started_at: "31/02/2026" is not a valid date']
    got = {i.external_id: i.started_at for i in rows(world, Interaction)}
    assert got["1"] == datetime(2026, 4, 3, 8, 0, tzinfo=UTC)  # CEST, day first
    assert got["2"] == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert got["3"] == datetime(2026, 12, 24, 23, 0, tzinfo=UTC)
    summary = imp(world, "interactions", path, dayfirst=False, timezone="UTC")
    got = {i.external_id: i.started_at for i in rows(world, Interaction)}
    assert summary.updated == 2  # 1 (month first now) and 3 (UTC now)
    assert got["1"] == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


# --- idempotence --------------------------------------------------------------------


def test_second_run_is_unchanged_and_an_edited_row_updates(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "contacts.csv", CONTACTS)
    assert imp(world, "contacts", path).created == 2
    again = imp(world, "contacts", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    write(path, CONTACTS.replace("Madrid", "Bilbao").replace("Juan Peña", "Juan Peña Gil"))
    edited = imp(world, "contacts", path)
    assert (edited.created, edited.updated, edited.unchanged) == (0, 2, 0)
    (ana,) = rows(world, Contact, Contact.external_id == "C2")
    assert ana.extras == {"Ciudad": "Bilbao"}
    assert count(world, Contact) == 3  # world's contact + 2


def test_accounts_without_id_are_matched_by_folded_name(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "accounts.csv", "name,tier\nAcme,gold\nACME.,gold\nBeta,\n")
    first = imp(world, "accounts", path)
    assert (first.created, first.unchanged) == (2, 1)  # "ACME." is the same account
    assert imp(world, "accounts", path).unchanged == 3
    stored = rows(world, Account, Account.name.in_(["Acme", "Beta"]))
    assert sorted((a.name, a.name_key, a.external_id) for a in stored) == [
        ("Acme", "acme", None), ("Beta", "beta", None)]


def test_rows_without_id_get_a_stable_hash(world: World, tmp_path: Path) -> None:
    text = "channel,date,subject\nphone,2025-01-02 10:00,A\nphone,2025-01-02 10:00,A\n"
    path = write(tmp_path / "calls.csv", text)
    first = imp(world, "interactions", path)
    assert (first.created, first.unchanged) == (1, 1)  # the duplicate row is the same record
    assert imp(world, "interactions", path).unchanged == 2
    ids = [i.external_id for i in rows(world, Interaction, Interaction.subject == "A")]
    assert len(ids) == 1 and ids[0].startswith("h-") and len(ids[0]) == 42


def test_duplicate_id_in_one_file_updates_the_first(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "accounts.csv", "id,name\nX,Old\nX,New\n")
    summary = imp(world, "accounts", path)
    assert (summary.created, summary.updated) == (1, 1)
    assert [a.name for a in rows(world, Account, Account.external_id == "X")] == ["New"]


# --- cases, people, articles ---------------------------------------------------------


def test_cases_get_numbers_sla_and_events(world: World, tmp_path: Path) -> None:
    policy_files.load_defaults(world.desk)
    text = ("ID Ticket,Asunto,Prioridad,Severidad,Estado,Cliente,Cola,Asignado,Fecha apertura\n"
            "T1,Sin conexión,alta,mayor,nuevo,juan.perez@example.com,technical,,"
            "02/03/2026 08:00\n"
            "T2,Factura,media,menor,en curso,,billing,ana,\n"
            "T3,Cerrado antiguo,baja,menor,cerrado,,,,01/01/2026\n"
            "T4,Futuro,baja,menor,nuevo,,,,01/01/2030\n")
    path = write(tmp_path / "cases.csv", text)
    summary = imp(world, "cases", path, queue="technical")
    assert (summary.created, summary.rejected) == (3, 1)
    assert "created_at: 2029-12-31T23:00:00+00:00 is in the future" in summary.errors[0]
    cases = {c.external_id: c for c in rows(world, Case)}
    t1, t2, t3 = cases["T1"], cases["T2"], cases["T3"]
    assert sorted(c.number for c in cases.values()) == [1, 2, 3]
    assert t1.contact_id == world.contact_id and t1.account_id is not None
    assert t1.sla_policy_id is not None and t1.first_response_due is not None
    assert t1.created_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert t1.due_at <= t1.resolution_due  # type: ignore[operator]
    assert t2.owner_id == world.ana.id and t2.status == "in_progress"
    assert t3.status == "closed" and t3.closed_at is not None
    assert t3.due_at.year == 9999 and t3.queue_id == t1.queue_id  # the --queue default
    events = rows(world, CaseEvent)
    assert sorted((e.case_id, e.kind) for e in events) == sorted(
        (c.id, "create") for c in cases.values())
    # editing a row updates the case once, with an event, and re-evaluates its SLA
    write(path, text.replace("Sin conexión,alta", "Sin conexión total,baja"))
    again = imp(world, "cases", path, queue="technical")
    assert (again.updated, again.unchanged, again.created) == (1, 2, 0)
    (t1b,) = rows(world, Case, Case.external_id == "T1")
    assert (t1b.title, t1b.priority, t1b.version) == ("Sin conexión total", "low", 2)
    kinds = [e.kind for e in rows(world, CaseEvent, CaseEvent.case_id == t1.id)]
    assert kinds == ["create", "update"]


def test_agents_and_queues_with_memberships(world: World, tmp_path: Path) -> None:
    queues = write(tmp_path / "queues.csv",
                   "Nombre,Área,Miembros\nretención,comercial,ana; luis\nvip,,\n")
    assert imp(world, "queues", queues).created == 2
    agents = write(tmp_path / "agents.csv",
                   "Usuario,Nombre,Rol,Habilidades,Capacidad,Colas\n"
                   "pedro,Pedro Gil,supervisora,ventas;billing,5,retención;vip\n"
                   "ana,Ana García,agente,billing,10,billing\n"
                   "Bad Login,x,agente,,,\n")
    summary = imp(world, "agents", agents)
    assert (summary.created, summary.updated, summary.rejected) == (1, 1, 1)
    (pedro,) = rows(world, Agent, Agent.login == "pedro")
    assert pedro.role == "supervisor" and pedro.skills == ["billing", "ventas"]
    member = {(m.queue_id, m.agent_id) for m in rows(world, QueueMember)}
    names = {q.name: q.id for q in rows(world, Queue)}
    assert (names["retención"], pedro.id) in member and (names["vip"], pedro.id) in member
    assert (names["billing"], world.ana.id) in member
    assert (names["technical"], world.ana.id) not in member  # ana's queues are now the file's
    assert imp(world, "agents", agents).unchanged == 2


def test_articles_keyed_by_external_id(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "kb.csv",
                 "id,Título,Palabras clave,Contenido,Estado\n"
                 "KB1,Reiniciar el router,router,Desenchufe 10 s,publicado\n")
    assert imp(world, "articles", path).created == 1
    write(path, "id,Título,Palabras clave,Contenido,Estado\n"
                "KB1,Reiniciar el router,router,Desenchufe 30 s,publicado\n")
    assert imp(world, "articles", path).updated == 1
    (article,) = rows(world, Article)
    assert article.number == 1 and article.body == "Desenchufe 30 s"
    assert article.status == "published"


# --- export round trip ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_imports_back_unchanged(world: World, tmp_path: Path, fmt: str) -> None:
    imp(world, "contacts", write(tmp_path / "contacts.csv", CONTACTS))
    imp(world, "cases", write(tmp_path / "cases.csv",
                              "id,title,description,priority,queue,contact,Origen\n"
                              'T1,Uno,"dos\nlíneas",high,technical,C1,web\n'
                              # formula-looking text: guarded in the CSV, read back as stored
                              "T2,=SUM(A1:A2),@mención,low,technical,C1,-web\n"))
    imp(world, "interactions", write(tmp_path / "calls.csv",
                                     "id,channel,started_at,case,contact,agent\n"
                                     "I1,phone,2026-03-01 10:00,CS-000001,C1,ana\n"))
    for kind in ("contacts", "accounts", "cases", "interactions", "agents", "queues"):
        out = io.StringIO()
        n = export_records(world.desk, world.sup, kind, out, fmt)
        assert n == count(world, {"contacts": Contact, "accounts": Account, "cases": Case,
                                  "interactions": Interaction, "agents": Agent,
                                  "queues": Queue}[kind])
        path = tmp_path / f"export-{kind}.{fmt}"
        path.write_text(out.getvalue(), encoding="utf-8")
        if fmt == "csv" and kind == "cases":
            assert "'=SUM(A1:A2)" in out.getvalue() and "'@mención" in out.getvalue()
        summary = imp(world, kind, path)
        assert (summary.read, summary.unchanged) == (n, n), (kind, summary)
    titles = {c.title for c in rows(world, Case)}
    assert "=SUM(A1:A2)" in titles


SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
ORDER = [("queues", "queues.csv"), ("agents", "agents.csv"), ("accounts", "accounts.csv"),
         ("contacts", "contacts.csv"), ("cases", "cases.csv"),
         ("interactions", "interactions.jsonl"), ("articles", "articles.csv"),
         ("emails", "emails.mbox")]


def test_shipped_samples_import_cleanly_and_idempotently(world: World, tmp_path: Path) -> None:
    for kind, name in ORDER:
        copy = tmp_path / name  # rejects files would land beside the input
        copy.write_bytes((SAMPLES / name).read_bytes())
        summary = imp(world, kind, copy)
        assert summary.rejected == 0 and summary.read > 0, (name, summary.errors)
        again = imp(world, kind, copy)
        assert again.unchanged == again.read == summary.read, (name, again)
    (juan,) = rows(world, Contact, Contact.external_id == "C-1")
    assert juan.name == "Juan Peña" and juan.marketing_consent is True
    assert juan.created_at == datetime(2024, 2, 2, 23, 0, tzinfo=UTC)
    cases = {c.external_id: c for c in rows(world, Case)}
    assert cases["T-5001"].description.count("\n") == 1
    mails = rows(world, Interaction, Interaction.message_id.is_not(None))
    by_id = {m.message_id: m for m in mails}
    assert by_id["<s2@correo.example>"].case_id == by_id["<s1@correo.example>"].case_id
    assert by_id["<s3@talleres.example>"].case_id == cases["T-5002"].id
    assert by_id["<s1@correo.example>"].attachments[0]["name"] == "router.jpg"


def test_an_unusable_second_file_stops_before_anything_is_written(world: World,
                                                                  tmp_path: Path) -> None:
    good = write(tmp_path / "a.csv", CONTACTS)
    bad = write(tmp_path / "b.csv", "mail,phone\na@b.es,600111222\n")
    before = count(world, Contact)
    with pytest.raises(ConfigError, match="b.csv: no column for name"):
        imp(world, "contacts", good, bad)
    assert count(world, Contact) == before
    summary = imp(world, "contacts", good, write(tmp_path / "c.csv", "id,name\nZ,Zoe\n"))
    assert (summary.read, summary.created) == (3, 3)


def test_a_heading_with_a_newline_keeps_the_error_on_one_line(world: World,
                                                               tmp_path: Path) -> None:
    """A quoted CSV heading (or an XLSX cell) may hold a newline: the error that lists the
    file's columns stays one line, the newline shown (found by test_readers_fuzz)."""
    path = write(tmp_path / "x.csv", '"carriage\nreturn",phone\na,600111222\n')
    with pytest.raises(ConfigError, match="no column for name") as refused:
        imp(world, "contacts", path)
    assert "\n" not in str(refused.value) and "carriage␊return" in str(refused.value)
    with pytest.raises(ConfigError, match="has no column") as refused:
        imp(world, "contacts", path, mappings=("Surname=name",))
    assert "\n" not in str(refused.value)
