"""Fuzz over the readers (issue 10, point 8): CSV, JSON Lines, XLSX and mail bytes.

Whatever a file holds, the real import (services layer, a SQLite desk) either refuses it
with one of casedesk's own errors (one line, exit 1 or 2) or ends with a summary whose
counts add up — read = created + updated + unchanged + rejected — and a rejects file
holding exactly the rejected records. Any other exception fails the test. Bounded: a
few dozen examples per reader, no deadline.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import mailbox
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from casedesk.errors import CaseDeskError
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from tests.conftest import World
from tests.hostile import CORPUS

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

FUZZ = settings(max_examples=40, deadline=None, derandomize=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
_counter = itertools.count()

#: hostile strings, shortened (the 100 kB word is in the corpus tests), plus odd text
HOSTILE = st.sampled_from([s[:300] for s in CORPUS]) | st.text(max_size=20)
FIELDS = {
    "contacts": ["external_id", "name", "email", "phone", "account", "marketing_consent",
                 "created_at", "Nombre", "Correo"],
    "accounts": ["external_id", "name", "tier", "created_at"],
    "cases": ["external_id", "number", "title", "description", "priority", "status",
              "queue", "owner", "contact", "created_at", "resolved_at"],
    "interactions": ["external_id", "channel", "direction", "contact", "case", "started_at",
                     "duration_seconds", "subject", "message_id"],
    "articles": ["external_id", "title", "keywords", "body", "status"],
}
KIND = st.sampled_from(sorted(FIELDS))
REQUIRED = {"contacts": ["name"], "accounts": ["name"], "cases": ["title"],
            "interactions": ["channel", "started_at"], "articles": ["title"]}
#: values that parse, per field (so that a fair share of the rows gets written)
GOOD = {
    "external_id": st.integers(0, 50).map(lambda i: f"x{i}"),
    "name": st.sampled_from(["Juan", "Ana Pérez", "Empresa SL"]),
    "Nombre": st.sampled_from(["Juan", "Ana Pérez"]),
    "email": st.sampled_from(["juan.perez@example.com", "a@b.es", "ANA@EXAMPLE.COM"]),
    "Correo": st.sampled_from(["a@b.es", "c@d.es"]),
    "phone": st.sampled_from(["+34 600 111 222", "912345678"]),
    "account": st.sampled_from(["Pérez Hogar", ""]),
    "marketing_consent": st.sampled_from(["yes", "no", "sí"]),
    "created_at": st.sampled_from(["2026-03-02 09:00", "02/03/2026", "2025-12-31T23:59:00Z"]),
    "started_at": st.sampled_from(["2026-03-02 09:00", "01/02/2026 10:00"]),
    "resolved_at": st.sampled_from(["2026-03-03 09:00", ""]),
    "tier": st.sampled_from(["gold", "vip", "standard"]),
    "number": st.integers(1, 10**6).map(str),
    "title": st.sampled_from(["No tengo internet", "Factura"]),
    "description": st.sampled_from(["algo", ""]),
    "priority": st.sampled_from(["high", "low", "media"]),
    "status": st.sampled_from(["new", "resolved", "published", "draft"]),
    "queue": st.sampled_from(["technical", "billing"]),
    "owner": st.sampled_from(["ana", "luis", ""]),
    "contact": st.sampled_from(["juan.perez@example.com", ""]),
    "channel": st.sampled_from(["phone", "email", "chat"]),
    "direction": st.sampled_from(["inbound", "outbound"]),
    "case": st.sampled_from(["CS-000001", "", "1"]),
    "duration_seconds": st.sampled_from(["65", "01:05", "1h 5m", "99999999999:00:00"]),
    "subject": st.sampled_from(["Hola", ""]),
    "message_id": st.integers(0, 20).map(lambda i: f"<{i}@fuzz>"),
    "keywords": st.sampled_from(["router; wifi", ""]),
    "body": st.sampled_from(["Reinicie el router", ""]),
}
PLAUSIBLE = st.sampled_from([
    "juan.perez@example.com", "a@b.es", "+34 600 111 222", "2026-03-02 09:00", "02/03/2026",
    "99999999999:00:00", "1h 5m", "gold", "vip", "high", "resolved", "technical", "ana",
    "CS-000001", "1", "0", "-1", "2147483648", "99999999999999999999", "1e999", "nan",
    "yes", "no", "0001-01-01", "9999-12-31", "",
])
CELL = HOSTILE | PLAUSIBLE


def _value(draw: st.DrawFn, field: str) -> str:
    """Mostly a value that parses; sometimes a hostile one."""
    if field in GOOD and draw(st.integers(0, 3)):
        return draw(GOOD[field])
    return draw(CELL)


def _headers(draw: st.DrawFn, kind: str) -> list[str]:
    extra = draw(st.lists(st.sampled_from(FIELDS[kind]), max_size=5, unique=True))
    if draw(st.integers(0, 5)) == 0:  # now and then without what the kind requires
        return extra or [draw(CELL)]
    return list(dict.fromkeys([*REQUIRED[kind], *extra]))


def _path(tmp_path: Path, suffix: str) -> Path:
    return tmp_path / f"fuzz{next(_counter)}{suffix}"


def _run(world: World, kind: str, path: Path, **options: object) -> ImportSummary | None:
    """The import; None when casedesk refused the file with its own error."""
    try:
        return run_import(world.desk, world.sup, kind, [path], ImportOptions(**options))
    except CaseDeskError as exc:
        assert exc.exit_code in (1, 2)
        assert "\n" not in str(exc) and "Traceback" not in str(exc)
        event(f"refused (exit {exc.exit_code})")
        return None


def _adds_up(summary: ImportSummary) -> None:
    _events(summary)
    assert summary.read == (summary.created + summary.updated + summary.unchanged
                            + summary.rejected)
    assert len(summary.errors) == min(summary.rejected, 20)
    if summary.rejected:
        assert len(summary.rejects) == 1 and Path(summary.rejects[0]).is_file()
    else:
        assert summary.rejects == []


# --- CSV --------------------------------------------------------------------------


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(KIND)
    if draw(st.integers(0, 9)) == 0:
        return kind, draw(st.binary(max_size=400))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    headers = _headers(draw, kind)
    lines = [delimiter.join(headers)]
    for _ in range(draw(st.integers(0, 10))):
        cells = [_value(draw, h) for h in headers]
        if draw(st.integers(0, 5)) == 0:  # too short or too long
            cells = cells[:-1] if draw(st.booleans()) else [*cells, draw(CELL)]
        quoted = ['"' + c.replace('"', '""') + '"' if draw(st.booleans()) else c
                  for c in cells]
        lines.append(delimiter.join(quoted))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    return kind, text.encode(encoding, errors="replace")


@FUZZ
@given(case=csv_files(), batch=st.sampled_from([1, 3, 5000]),
       on_error=st.sampled_from(["skip", "skip", "abort"]))
def test_fuzz_csv(world: World, tmp_path: Path, case: tuple[str, bytes], batch: int,
                  on_error: str) -> None:
    kind, data = case
    path = _path(tmp_path, ".csv")
    path.write_bytes(data)
    summary = _run(world, kind, path, batch_size=batch, on_error=on_error)
    if summary is not None:
        _adds_up(summary)
        if summary.rejected:
            head = Path(summary.rejects[0]).read_bytes()
            assert b"_" in head and head.strip()  # the header row with its _reason column


# --- JSON Lines -------------------------------------------------------------------


JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | CELL,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(CELL, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def jsonl_lines(draw: st.DrawFn) -> tuple[str, str]:
    kind = draw(KIND)
    keys = st.sampled_from(FIELDS[kind]) | CELL
    lines = []
    for _ in range(draw(st.integers(0, 10))):
        shape = draw(st.integers(0, 9))
        if shape == 0:
            lines.append(draw(st.text(max_size=40)).replace("\n", " "))
        elif shape == 1:  # raw escapes json.dumps would never write
            key = draw(st.sampled_from(FIELDS[kind]))
            bad = draw(st.sampled_from(["\\ud800", "\\udfff x", "\\u0000", "\\ud83d",
                                        "ok \\ud83d\\ude00"]))
            lines.append(f'{{"{key}": "{bad}", "name": "x"}}')
        elif shape == 2:
            depth = draw(st.integers(1, 3000))
            lines.append('{"name": "deep", "n": ' + "[" * depth + "]" * depth + "}")
        elif shape == 3:
            lines.append('{"name": ' + "9" * draw(st.integers(15, 5000)) + "}")
        elif shape == 4:
            lines.append(json.dumps(draw(JSON_VALUE), ensure_ascii=draw(st.booleans())))
        elif shape == 5:
            record = draw(st.dictionaries(keys, JSON_VALUE, max_size=6))
            lines.append(json.dumps(record, ensure_ascii=draw(st.booleans())))
        else:
            record = {h: _value(draw, h) for h in _headers(draw, kind)}
            if draw(st.booleans()):
                record[draw(CELL)] = draw(JSON_VALUE)  # an extra, of any shape
            lines.append(json.dumps(record, ensure_ascii=draw(st.booleans())))
    return kind, "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


@FUZZ
@given(case=jsonl_lines(), batch=st.sampled_from([1, 4, 5000]))
def test_fuzz_jsonl(world: World, tmp_path: Path, case: tuple[str, str], batch: int) -> None:
    kind, text = case
    path = _path(tmp_path, ".jsonl")
    path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    summary = _run(world, kind, path, batch_size=batch)
    if summary is not None:
        _adds_up(summary)
        if summary.rejected:
            # lines end at \n only (a JSON string may hold U+0085 or U+2028 raw)
            written = Path(summary.rejects[0]).read_bytes().decode("utf-8").split("\n")
            assert written.pop() == ""
            assert len(written) == summary.rejected
            assert all("_reason" in json.loads(line) for line in written)


# --- XLSX -------------------------------------------------------------------------


def _cell_text(value: str) -> str:
    """What openpyxl lets into a cell (no XML-illegal control characters)."""
    return "".join(c for c in value if c in "\t\n\r" or ord(c) >= 0x20)[:500]


@st.composite
def xlsx_files(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(KIND)
    book = openpyxl.Workbook()
    sheet = book.active
    headers = _headers(draw, kind)
    sheet.append([_cell_text(h) for h in headers])
    typed = st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    for _ in range(draw(st.integers(0, 8))):
        cells = [draw(typed) if draw(st.integers(0, 7)) == 0 else _value(draw, h)
                 for h in headers]
        sheet.append([_cell_text(c).encode("utf-8", "ignore").decode("utf-8")
                      if isinstance(c, str) else c for c in cells])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    damage = draw(st.sampled_from(["none", "none", "none", "truncate", "flip", "flips"]))
    # positions drawn independently of the length: a saved workbook carries the time of
    # saving, so its length can change between two runs of one example (hypothesis then
    # reports the strategy as flaky)
    if damage == "truncate":
        data = data[: draw(st.integers(0, 2**20)) % len(data)]
    elif damage in ("flip", "flips"):
        raw = bytearray(data)
        for _ in range(1 if damage == "flip" else draw(st.integers(2, 20))):
            at = draw(st.integers(0, 2**20)) % len(raw)
            raw[at] ^= 1 << draw(st.integers(0, 7))
        data = bytes(raw)
    return kind, data


@FUZZ
@given(case=xlsx_files(), batch=st.sampled_from([1, 5000]))
def test_fuzz_xlsx(world: World, tmp_path: Path, case: tuple[str, bytes], batch: int) -> None:
    kind, data = case
    path = _path(tmp_path, ".xlsx")
    path.write_bytes(data)
    summary = _run(world, kind, path, batch_size=batch)
    if summary is not None:
        _adds_up(summary)
        if summary.rejected:
            with open(summary.rejects[0], encoding="utf-8-sig", newline="") as f:
                rows = list(csv.reader(f))
            assert rows[0][-1] == "_reason" and len(rows) - 1 == summary.rejected


# --- mail -------------------------------------------------------------------------


HEADER_VALUE = st.one_of(
    CELL.map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=40).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.sampled_from([
        b"=?utf-8?q?Hola_=1B]0;x=07?=", b"=?iso-8859-1?b?Q2Fm6Q==?=", b"=?bogus?q?x?=",
        b"=?utf-8?b?!!!notbase64?=", b'"Big Bug"@example.com', b"Jos\xc3\xa9 <jose@example.com>",
        b"<a@b> <c@d>", b"Mon, 02 Mar 2026 09:00:00 +0100", b"\xff\xfe\xfd", b"", b"<>",
        b"Mon, 31 Feb 0001 25:61:61 +9999", b"juan.perez@example.com", b"[CS-000001] x",
    ]),
)
HEADER_NAME = st.sampled_from([b"From", b"To", b"Subject", b"Date", b"Message-ID",
                               b"In-Reply-To", b"References", b"Content-Type",
                               b"Content-Transfer-Encoding", b"X-Other"])
CONTENT_TYPE = st.sampled_from([
    b"text/plain; charset=utf-8", b"text/plain; charset=bogus", b"text/html; charset=latin-1",
    b'multipart/mixed; boundary="b"', b"multipart/alternative", b"application/pdf",
    b"text/plain; charset=utf-16",
])


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    sender = st.sampled_from([b"juan.perez@example.com", b"Jos\xc3\xa9 <jose@example.com>",
                              b'"Big Bug"@example.com', b"=?utf-8?q?Ana_=1B[2J?= <ana@x.es>"])
    headers = [b"From: " + draw(sender if draw(st.integers(0, 3)) else HEADER_VALUE),
               b"Message-ID: <" + str(draw(st.integers(0, 30))).encode() + b"@fuzz>"]
    headers += [name + b": " + draw(HEADER_VALUE)
                for name in draw(st.lists(HEADER_NAME, max_size=6))]
    headers.append(b"Content-Type: " + draw(CONTENT_TYPE))
    cte = draw(st.sampled_from([b"", b"base64", b"quoted-printable", b"8bit", b"x-bogus"]))
    if cte:
        headers.append(b"Content-Transfer-Encoding: " + cte)
    body = draw(st.binary(max_size=200) | CELL.map(lambda s: s.encode("utf-8", "replace")))
    if draw(st.booleans()):
        body = (b"--b\nContent-Type: text/plain\n\n" + body + b"\n--b\n"
                b"Content-Disposition: attachment; filename=\"\xff.pdf\"\n\nxx\n--b--\n")
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    return newline.join(headers) + newline + newline + body.replace(b"\nFrom ", b"\n>From ")


@FUZZ
@given(batch=st.lists(messages(), min_size=1, max_size=5), as_mbox=st.booleans(),
       size=st.sampled_from([1, 200]))
def test_fuzz_mail(world: World, tmp_path: Path, batch: list[bytes], as_mbox: bool,
                   size: int) -> None:
    if as_mbox:
        paths = [_path(tmp_path, ".mbox")]
        paths[0].write_bytes(b"".join(b"From fuzz Mon Mar  2 09:00:00 2026\n" + m + b"\n"
                                      for m in batch))
    else:
        paths = []
        for m in batch:
            paths.append(_path(tmp_path, ".eml"))
            paths[-1].write_bytes(m)
    try:
        summary = run_import(world.desk, world.sup, "emails", paths,
                             ImportOptions(batch_size=size))
    except CaseDeskError as exc:
        assert exc.exit_code in (1, 2) and "\n" not in str(exc)
        event(f"refused (exit {exc.exit_code})")
        return
    _adds_up_mail(summary, len(batch) if not as_mbox else None)


def _events(summary: ImportSummary) -> None:
    """Hypothesis statistics: which outcomes the examples reached."""
    event("wrote rows" if summary.created or summary.updated else "wrote no rows")
    event("rejected rows" if summary.rejected else "no rejects")


def _adds_up_mail(summary: ImportSummary, files: int | None) -> None:
    _events(summary)
    assert summary.read == (summary.created + summary.updated + summary.unchanged
                            + summary.rejected)
    if files is not None:
        assert summary.read == files  # one message per .eml, every one read
    rejected = sum(len(list(mailbox.mbox(p))) for p in summary.rejects)
    assert rejected == summary.rejected
