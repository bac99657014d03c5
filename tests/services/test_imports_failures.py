"""Import failures end with the summary and a complete rejects file (issue 10, point 3).

Never half a batch, never half a rejects file, never a traceback: a JSON Lines value
PostgreSQL cannot store (a lone surrogate, a NUL) is that row's reject; a folder at the
rejects path or a damaged workbook stops the import before it writes anything; an
unreadable message is a reject and the other messages go in. Both databases.
"""

from __future__ import annotations

import io
import json
import mailbox
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from casedesk.db import read_session
from casedesk.errors import CaseDeskError, ConfigError, ValidationError
from casedesk.models import Contact, Interaction
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions
from tests.conftest import World


def _contacts(world: World) -> int:
    with read_session(world.desk.engine) as s:
        return s.execute(select(func.count()).select_from(Contact)).scalar_one()


def _imp(world: World, kind: str, *paths: Path, **options: object):  # type: ignore[no-untyped-def]
    return run_import(world.desk, world.sup, kind, list(paths), ImportOptions(**options))


@pytest.mark.parametrize("batch", [1, 5000])
def test_unstorable_json_values_are_rejected_rows_and_the_rejects_file_is_whole(
    world: World, tmp_path: Path, batch: int
) -> None:
    lines = [
        '{"name": "Uno", "email": "uno@example.com"}',
        '{"name": "Dos \\ud800", "email": "dos@example.com"}',          # lone surrogate
        '{"name": "Tres", "email": "tres@example.com", "x\\udfff": 1}',  # ... in a key
        '{"name": "Cuatro\\u0000", "email": "cuatro@example.com"}',      # NUL
        '{"name": "Cinco", "email": "cinco@example.com", "n": {"deep": ["\\u0000"]}}',
        '{"name": "Seis", "email": "seis@example.com", "big": 123456789012345678901234567890}',
        '{"name": "Siete", "email": "siete@example.com", "n": ' + "[" * 200 + "]" * 200 + "}",
        '{"name": "Ocho", "email": "ocho@example.com", "n": ' + "[" * 5000 + "]" * 5000 + "}",
        "not json at all",
        '{"name": "Nueve", "email": "nueve@example.com"}',
    ]
    path = tmp_path / "people.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _contacts(world)
    summary = _imp(world, "contacts", path, batch_size=batch)
    assert summary.read == 10
    assert (summary.created, summary.rejected) == (3, 7)
    assert _contacts(world) == before + 3
    reasons = "\n".join(summary.errors)
    assert "people.jsonl:2: contains an unpaired UTF-16 surrogate" in reasons
    assert "people.jsonl:3: contains an unpaired UTF-16 surrogate" in reasons
    assert "people.jsonl:4:" in reasons and "NUL" in reasons.split("people.jsonl:4:")[1]
    assert "people.jsonl:5: contains a NUL character" in reasons
    assert "people.jsonl:7: nested deeper than 64 levels" in reasons
    assert "people.jsonl:8: bad JSON: nested deeper" in reasons
    rejects = Path(summary.rejects[0])
    written = rejects.read_text(encoding="utf-8").splitlines()
    assert len(written) == summary.rejected
    records = [json.loads(line) for line in written]
    assert all("_reason" in r for r in records)
    assert records[0]["name"] == "Dos \ud800"  # written back as the escape it arrived as
    assert records[-1]["_raw"] == "not json at all"


def test_a_folder_at_the_rejects_path_stops_the_import_before_anything_is_written(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,email\nUno,uno@example.com\nMal,not-an-email\n", encoding="utf-8")
    (tmp_path / "people.rejects.csv").mkdir()
    before = _contacts(world)
    with pytest.raises(ConfigError, match="a folder has that name") as caught:
        _imp(world, "contacts", path)
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)
    assert _contacts(world) == before
    # a dry run writes no rejects file, so the folder does not matter to it
    assert _imp(world, "contacts", path, dry_run=True).rejected == 1


def test_a_folder_at_a_mail_rejects_path_stops_before_anything_is_written(
    world: World, tmp_path: Path
) -> None:
    eml = tmp_path / "one.eml"
    eml.write_bytes(b"From: juan.perez@example.com\nSubject: hola\nMessage-ID: <f@x>\n\nhi\n")
    (tmp_path / "one.rejects.mbox").mkdir()
    with pytest.raises(ConfigError, match="a folder has that name"):
        _imp(world, "emails", eml)
    with read_session(world.desk.engine) as s:
        assert s.execute(select(func.count()).select_from(Interaction)).scalar_one() == 0


def _workbook(rows: int = 30) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", "email"])
    for i in range(rows):
        sheet.append([f"Persona {i}", f"p{i}@example.com"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _broken_xml(data: bytes) -> bytes:
    """The workbook with its sheet's XML cut in the middle (a valid zip around it)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) * 2 // 3]
            dst.writestr(item.filename, content)
    return out.getvalue()


@pytest.mark.parametrize("damage", ["truncated", "halved", "bitflip", "broken xml",
                                    "no sheet"])
def test_a_damaged_workbook_is_one_clear_error_and_nothing_is_applied(
    world: World, tmp_path: Path, damage: str
) -> None:
    data = _workbook()
    if damage == "truncated":
        data = data[:-40]
    elif damage == "halved":
        data = data[: len(data) // 2]
    elif damage == "bitflip":
        sheet_at = data.index(b"xl/worksheets/sheet1.xml") + 40
        data = data[:sheet_at] + bytes(b ^ 0x55 for b in data[sheet_at:sheet_at + 64]) \
            + data[sheet_at + 64:]
    elif damage == "no sheet":  # the sheet's part renamed: openpyxl finds no worksheet
        data = data.replace(b"xl/worksheets/sheet1.xml", b"xl/worksheets/sieet1.xml")
    else:
        data = _broken_xml(data)
    path = tmp_path / "people.xlsx"
    path.write_bytes(data)
    before = _contacts(world)
    with pytest.raises(CaseDeskError) as caught:
        _imp(world, "contacts", path, batch_size=5)
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)
    assert "people.xlsx" in str(caught.value)
    assert _contacts(world) == before


def test_an_intact_workbook_still_imports(world: World, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    path.write_bytes(_workbook(12))
    summary = _imp(world, "contacts", path, batch_size=5)
    assert (summary.read, summary.created, summary.rejected) == (12, 12, 0)


def test_a_batch_of_mail_files_imports_every_message_it_can_read(world: World,
                                                                 tmp_path: Path) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(b"From: juan.perez@example.com\nSubject: uno\nMessage-ID: <g1@x>\n\nhi\n")
    nobody = tmp_path / "nobody.eml"
    nobody.write_bytes(b"From: \xff\xfe\nSubject: sin remitente\nMessage-ID: <g2@x>\n\nhi\n")
    huge_id = tmp_path / "huge.eml"
    huge_id.write_bytes(b"From: a@example.com\nMessage-ID: <" + b"x" * 600 + b"@x>\n\nhi\n")
    box = tmp_path / "box.mbox"
    box.write_bytes(b"From x Mon Mar  2 09:00:00 2026\nFrom: b@example.com\nSubject: dos\n"
                    b"Date: \x80\x81\nMessage-ID: <g3@x>\n\nhola\n\n"
                    b"From x Mon Mar  2 09:00:00 2026\nSubject: tres\nMessage-ID: <g4@x>\n\n"
                    b"sin From\n")
    summary = _imp(world, "emails", good, nobody, huge_id, box)
    assert (summary.read, summary.created, summary.rejected) == (5, 2, 3)
    assert summary.errors[0].startswith("nobody.eml:1: From: no sender address")
    assert summary.errors[1].startswith("huge.eml:1: Message-ID: longer than 500")
    assert summary.errors[2].startswith("box.mbox:2: From: no sender address")
    assert sorted(Path(p).name for p in summary.rejects) == [
        "box.rejects.mbox", "huge.rejects.mbox", "nobody.rejects.mbox"]
    (rejected,) = list(mailbox.mbox(tmp_path / "box.rejects.mbox"))
    assert rejected["Subject"] == "tres"
    assert rejected["X-Casedesk-Reason"].startswith("From: no sender address")


def test_a_new_rejects_file_replaces_the_old_one_whole(world: World, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    old = tmp_path / "people.rejects.csv"
    old.write_text("stale\n" * 1000, encoding="utf-8")
    path.write_text("name,email\nMal,not-an-email\n", encoding="utf-8")
    summary = _imp(world, "contacts", path)
    assert summary.rejected == 1
    assert old.read_text(encoding="utf-8").splitlines()[0] == "name,email,_reason"
    assert "stale" not in old.read_text(encoding="utf-8")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _refusing(original, match):  # type: ignore[no-untyped-def]
    """``original`` (process_batch or MailImport.store), refusing what ``match`` picks the
    way a driver refuses a value (a StatementError wrapping a Python error)."""
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        if match(*args):
            raise StatementError("value refused", "INSERT …", None,
                                 OverflowError("Python int too large to convert to SQLite INTEGER"))
        return original(*args, **kwargs)
    return wrapper


def _boom_rows(session, spec, live, *rest) -> bool:  # type: ignore[no-untyped-def]
    return any(p.fields.get("name") == "BOOM" for p in live)


@pytest.mark.parametrize("batch", [2, 5000])
def test_a_value_the_database_refuses_is_that_rows_reject_not_half_a_batch(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    from casedesk.services.imports import writer

    monkeypatch.setattr(writer, "process_batch", _refusing(writer.process_batch, _boom_rows))
    path = tmp_path / "people.csv"
    path.write_text("name,email\nUno,uno@example.com\nBOOM,boom@example.com\n"
                    "Tres,tres@example.com\nCuatro,cuatro@example.com\n", encoding="utf-8")
    before = _contacts(world)
    summary = _imp(world, "contacts", path, batch_size=batch)
    assert (summary.read, summary.created, summary.rejected) == (4, 3, 1)
    assert summary.errors == ["people.csv:3: the database refused it: Python int too large "
                              "to convert to SQLite INTEGER"]
    assert _contacts(world) == before + 3
    lines = Path(summary.rejects[0]).read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("BOOM,boom@example.com,")


def test_a_refused_value_with_on_error_abort_imports_nothing(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.services.imports import writer

    monkeypatch.setattr(writer, "process_batch", _refusing(writer.process_batch, _boom_rows))
    path = tmp_path / "people.csv"
    path.write_text("name,email\nUno,uno@example.com\nBOOM,boom@example.com\n", encoding="utf-8")
    before = _contacts(world)
    with pytest.raises(ValidationError, match="the database refused a record") as caught:
        _imp(world, "contacts", path, on_error="abort")
    assert caught.value.exit_code == 1 and "\n" not in str(caught.value)
    assert _contacts(world) == before


def test_a_message_the_database_refuses_is_a_reject_and_the_batch_goes_in(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.services.imports.mail import MailImport

    monkeypatch.setattr(MailImport, "store", _refusing(
        MailImport.store, lambda self, session, mail, *rest: mail.subject == "BOOM"))
    box = tmp_path / "box.mbox"
    box.write_bytes(b"".join(
        b"From x Mon Mar  2 09:00:00 2026\nFrom: juan.perez@example.com\nSubject: " + subject
        + b"\nMessage-ID: <" + subject + b"@x>\n\nhola\n\n"
        for subject in (b"uno", b"BOOM", b"tres")))
    summary = _imp(world, "emails", box)
    assert (summary.read, summary.created, summary.rejected) == (3, 2, 1)
    assert summary.details["cases opened"] == 2  # the rolled-back attempt is not counted
    assert summary.errors[0].startswith("box.mbox:2: the database refused it")
    (rejected,) = list(mailbox.mbox(tmp_path / "box.rejects.mbox"))
    assert rejected["Subject"] == "BOOM"


def test_two_inputs_sharing_a_rejects_file_are_refused_up_front(world: World,
                                                               tmp_path: Path) -> None:
    csv_path = tmp_path / "people.csv"
    csv_path.write_text("name,email\nUno,uno@example.com\nMal,not-an-email\n", encoding="utf-8")
    xlsx_path = tmp_path / "people.xlsx"
    xlsx_path.write_bytes(_workbook(3))
    before = _contacts(world)
    with pytest.raises(ConfigError, match="would both write their rejects to"):
        _imp(world, "contacts", csv_path, xlsx_path)
    assert _contacts(world) == before
    eml, box = tmp_path / "a.eml", tmp_path / "a.mbox"
    eml.write_bytes(b"From: juan.perez@example.com\nMessage-ID: <r1@x>\n\nhi\n")
    box.write_bytes(b"From x Mon Mar  2 09:00:00 2026\nFrom: juan.perez@example.com\n"
                    b"Message-ID: <r2@x>\n\nhi\n")
    with pytest.raises(ConfigError, match="would both write their rejects to"):
        _imp(world, "emails", eml, box)
    # one file named twice is fine: its second reading is unchanged
    twice = _imp(world, "emails", eml, eml)
    assert (twice.read, twice.created, twice.unchanged) == (2, 1, 1)


def test_an_unreadable_mail_file_is_a_reject_and_the_others_go_in(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked.eml"
    locked.write_bytes(b"From: juan.perez@example.com\nMessage-ID: <l1@x>\n\nhi\n")
    good = tmp_path / "good.eml"
    good.write_bytes(b"From: juan.perez@example.com\nMessage-ID: <l2@x>\n\nhi\n")
    real_open = Path.open

    def no_access(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self.name == "locked.eml":
            raise PermissionError(13, "Permission denied")
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", no_access)
    summary = _imp(world, "emails", locked, good)
    assert (summary.read, summary.created, summary.rejected) == (2, 1, 1)
    assert summary.errors == ["locked.eml:1: unreadable file: Permission denied"]


def test_a_rejects_file_that_cannot_be_written_leaves_no_half_file_and_says_what_went_in(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from casedesk.services.imports import readers

    real = readers.open_replacing

    def full_disk(path: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        cm = real(path, **kwargs)
        f = cm.__enter__()
        f.write("half a line")
        error = OSError(28, "No space left on device")
        cm.__exit__(OSError, error, None)
        raise error

    monkeypatch.setattr(readers, "open_replacing", full_disk)
    path = tmp_path / "people.csv"
    path.write_text("name,email\nUno,uno@example.com\nMal,not-an-email\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="No space left on device") as caught:
        _imp(world, "contacts", path)
    assert "1 of 2 records imported, 1 rejected" in str(caught.value)
    assert not [p.name for p in tmp_path.iterdir() if "rejects" in p.name]  # no half file
