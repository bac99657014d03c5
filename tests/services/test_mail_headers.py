"""What a message says, read right (issue 10, point 4). Both databases.

Two messages sharing a Message-ID are both imported when they differ (and reported);
raw UTF-8 headers (RFC 6532) keep their letters; a quoted local part is a sender; an
RFC 2047 subject with control characters is stored as it arrived.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from casedesk.db import read_session
from casedesk.models import Case, Contact, Interaction
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from tests.conftest import World

MID_DATE = b"Date: Mon, 02 Mar 2026 09:00:00 +0100\n"


def _eml(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _imp(world: World, *paths: Path) -> ImportSummary:
    return run_import(world.desk, world.sup, "emails", list(paths), ImportOptions())


def _mails(world: World) -> list[Interaction]:
    with read_session(world.desk.engine) as s:
        return list(s.execute(select(Interaction).where(Interaction.message_id.is_not(None))
                              .order_by(Interaction.id)).scalars())


def _raw(subject: bytes, body: bytes = b"hola\n", *, sender: bytes = b"juan.perez@example.com",
         mid: bytes = b"<same@cliente>", date: bytes = MID_DATE) -> bytes:
    return (b"From: " + sender + b"\nTo: soporte@casedesk.example\nSubject: " + subject
            + b"\n" + date + b"Message-ID: " + mid + b"\n"
            b"Content-Type: text/plain; charset=utf-8\n\n" + body)


def test_a_different_message_reusing_a_message_id_is_imported_and_reported(
    world: World, tmp_path: Path
) -> None:
    first = _eml(tmp_path, "a.eml", _raw(b"Pedido 1", b"primero\n"))
    second = _eml(tmp_path, "b.eml", _raw(b"Pedido 2", b"otro mensaje\n"))
    summary = _imp(world, first, second)
    assert (summary.read, summary.created, summary.unchanged) == (2, 2, 0)
    assert summary.details["duplicate Message-ID with different content"] == 1
    assert any("duplicate Message-ID with different content" in w and "<same@cliente>" in w
               for w in summary.warnings)
    one, two = _mails(world)
    assert one.message_id == "<same@cliente>" and one.notes == "primero"
    assert two.notes == "otro mensaje" and two.extras["message_id"] == "<same@cliente>"
    # the very same files again: both unchanged, nothing reported
    again = _imp(world, first, second)
    assert (again.read, again.created, again.unchanged) == (2, 0, 2)
    assert "duplicate Message-ID with different content" not in again.details
    assert len(_mails(world)) == 2


def test_same_id_same_content_differing_only_in_transport_headers_is_unchanged(
    world: World, tmp_path: Path
) -> None:
    data = _raw(b"Pedido", b"igual\n")
    _imp(world, _eml(tmp_path, "a.eml", data))
    relayed = b"Received: from relay.example by mx.example; Mon, 2 Mar 2026 09:01 +0100\n" + data
    summary = _imp(world, _eml(tmp_path, "b.eml", relayed))
    assert (summary.created, summary.unchanged) == (0, 1)


def test_raw_utf8_headers_keep_their_letters(world: World, tmp_path: Path) -> None:
    data = _raw("Factura de café — ñandú".encode(),
                sender="José Núñez <jose.nunez@example.com>".encode(), mid=b"<u8@x>")
    mbox_bytes = b"From jose Mon Mar  2 09:00:00 2026\n" + data + b"\n"
    summary = _imp(world, _eml(tmp_path, "utf8.eml", data.replace(b"<u8@x>", b"<u8b@x>")),
                   _eml(tmp_path, "inbox.mbox", mbox_bytes))
    assert summary.created == 2 and summary.rejected == 0
    for mail in _mails(world):
        assert mail.subject == "Factura de café — ñandú"
        assert mail.email_from == "José Núñez <jose.nunez@example.com>"
        assert "?" not in mail.subject + mail.email_from
    with read_session(world.desk.engine) as s:
        name = s.execute(select(Contact.name)
                         .where(Contact.email == "jose.nunez@example.com")).scalar_one()
        titles = set(s.execute(select(Case.title)).scalars())
    assert name == "José Núñez" and titles == {"Factura de café — ñandú"}


def test_a_raw_latin1_header_is_read_as_windows_1252(world: World, tmp_path: Path) -> None:
    summary = _imp(world, _eml(tmp_path, "l1.eml",
                               _raw("Caf\xe9 fr\xeda".encode("cp1252"), mid=b"<l1@x>")))
    assert summary.created == 1
    assert _mails(world)[0].subject == "Café fría"


def test_a_quoted_local_part_is_a_sender(world: World, tmp_path: Path) -> None:
    summary = _imp(world, _eml(tmp_path, "q.eml",
                               _raw(b"Hola", sender=b'"Big Bug"@example.com', mid=b"<q@x>")))
    assert (summary.created, summary.rejected) == (1, 0)
    with read_session(world.desk.engine) as s:
        emails = set(s.execute(select(Contact.email)).scalars())
    assert '"big bug"@example.com' in emails


def test_an_rfc2047_subject_with_controls_is_stored_as_it_arrived(world: World,
                                                                  tmp_path: Path) -> None:
    # ESC ] 0 ; pwned BEL — a window-title change — and a bell, encoded in the subject
    subject = b"=?utf-8?q?Hola_=1B]0;pwned=07_mundo?="
    summary = _imp(world, _eml(tmp_path, "c.eml", _raw(subject, mid=b"<ctl@x>")))
    assert summary.created == 1
    stored = _mails(world)[0].subject
    assert stored == "Hola \x1b]0;pwned\x07 mundo"  # the display code makes these visible


def test_an_8bit_date_does_not_stop_the_other_files(world: World, tmp_path: Path) -> None:
    bad_date = _eml(tmp_path, "bad.eml", _raw(b"Fecha rota", mid=b"<d1@x>",
                                              date=b"Date: Mon, \xff\xfe Mar 2026 \xe9\n"))
    box = b"".join(
        b"From x Mon Mar  2 09:00:00 2026\n" + _raw(b"m%d" % i, mid=b"<mb%d@x>" % i, date=d)
        + b"\n"
        for i, d in enumerate([b"Date: \xc3\x28\xa0\xa1 2026\n", MID_DATE]))
    good = _eml(tmp_path, "good.eml", _raw(b"Bien", mid=b"<d2@x>"))
    summary = _imp(world, bad_date, _eml(tmp_path, "box.mbox", box), good)
    assert summary.read == 4 and summary.created == 4 and summary.rejected == 0
