"""Sources of records: CSV (any delimiter, any common encoding), JSON Lines and XLSX.

Each source yields ``(line, end, cells, error)``: the record's first and last physical
line (XLSX: its row), its cells (a list for CSV/XLSX, a dict for JSON Lines) and, for a
record that cannot even be parsed, the reason. Blank rows are skipped and not counted.
Rejected records are written back *unchanged* by :meth:`Source.write_rejects`: a CSV
gets its original lines re-read from the file with a ``_reason`` column appended.

Encodings: UTF-16 with a BOM; else UTF-8 (a BOM is fine) if the whole file decodes
strictly; else Windows-1252; else Latin-1. ``--encoding`` forces one, and a file that
does not decode with it is refused before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from casedesk.errors import ConfigError
from casedesk.i18n import _
from casedesk.services.imports.mapping import REASON_COLUMN
from casedesk.services.imports.rejectfile import open_replacing
from casedesk.services.imports.values import as_text
from casedesk.textsafe import spreadsheet_unguarded

CANDIDATE_DELIMITERS = ",;\t|"
MAX_DEPTH = 64  # JSON nesting a record may have
SNIFF_CHARS = 64 * 1024
_CHUNK = 1 << 20

Row = tuple[int, int, Any, str | None]
Reject = tuple[int, int, str, Any]  # line, end, reason, cells


class Source(Protocol):
    """An open input file."""

    path: Path
    name: str
    headers: tuple[str, ...] | None  # None: every record brings its own keys (JSON Lines)
    exact_width: bool
    total: int
    rejects_file: Path

    def position(self) -> int: ...

    def __iter__(self) -> Iterator[Row]: ...

    def write_rejects(self, rejects: list[Reject]) -> Path: ...

    def close(self) -> None: ...


def rejects_path(path: Path, suffix: str | None = None) -> Path:
    """``contacts.csv`` → ``contacts.rejects.csv`` beside it."""
    return path.with_name(f"{path.stem}.rejects{suffix or path.suffix}")


def open_source(
    path: Path, *, encoding: str | None, delimiter: str | None, sheet: str | None
) -> Source:
    """Open ``path`` by its extension (or, failing that, its first bytes)."""
    if not path.exists():
        raise ConfigError(_("no such file: {path}").format(path=path))
    if path.is_dir():
        raise ConfigError(_("{path} is a folder, not a file (folders are for `import emails` "
                            "and `import articles`)").format(path=path))
    suffix = path.suffix.lower()
    with path.open("rb") as f:
        head = f.read(4)
    if suffix in (".xlsx", ".xlsm") or head == b"PK\x03\x04":
        return XlsxSource(path, sheet)
    if sheet:
        raise ConfigError(_("--sheet is for XLSX workbooks, and {file} is not one").format(
            file=path.name))
    enc = resolve_encoding(path, encoding)
    if suffix in (".jsonl", ".ndjson", ".json") or (
        suffix not in (".csv", ".tsv", ".txt") and _looks_like_json(path, enc)
    ):
        return JsonlSource(path, enc)
    return CsvSource(path, enc, delimiter)


def _looks_like_json(path: Path, encoding: str) -> bool:
    with path.open(encoding=encoding, errors="replace") as f:
        return f.read(256).lstrip().startswith("{")


# --- encodings --------------------------------------------------------------------


def resolve_encoding(path: Path, forced: str | None) -> str:
    """The encoding to read ``path`` with; ConfigError if it does not decode."""
    if forced:
        try:
            name = codecs.lookup(forced).name
        except LookupError:
            raise ConfigError(
                _("unknown encoding {encoding}: try utf-8, cp1252 or latin-1").format(
                    encoding=repr(forced))
            ) from None
        if name == "utf-8":
            name = "utf-8-sig"
        problem = _decode_problem(path, name)
        if problem:
            raise ConfigError(_("cannot read {file} as {encoding}: {problem}; try another "
                                "--encoding (e.g. cp1252) or leave it out to detect it").format(
                file=path.name, encoding=forced, problem=problem))
        return name
    with path.open("rb") as f:
        bom = f.read(2)
    if bom in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        if _decode_problem(path, "utf-16"):
            raise ConfigError(_("cannot read {file}: it starts like UTF-16 but does not "
                                "decode as UTF-16; pass --encoding").format(file=path.name))
        return "utf-16"
    for name in ("utf-8-sig", "cp1252"):
        if not _decode_problem(path, name):
            return name
    return "latin-1"


def has_nul(path: Path) -> bool:
    """Whether the file holds a NUL byte anywhere (then rows are checked one by one)."""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            if b"\x00" in chunk:
                return True
    return False


def _decode_problem(path: Path, encoding: str) -> str | None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as f:
        try:
            while chunk := f.read(_CHUNK):
                decoder.decode(chunk)
                offset += len(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return _("byte {byte} at offset {offset}").format(
                byte=f"0x{exc.object[exc.start]:02x}", offset=offset + exc.start)
        except UnicodeError as exc:  # e.g. "UTF-16 stream does not start with BOM"
            if "BOM" in str(exc):
                return _("{problem} (name the byte order: utf-16-le or utf-16-be)").format(
                    problem=exc)
            return str(exc)
    return None


# --- CSV --------------------------------------------------------------------------


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: csv.Sniffer, checked against the header line."""
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in CANDIDATE_DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and (counts.get(sniffed) or not any(counts.values())):
        return sniffed
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _unique_headers(cells: list[Any]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    out = []
    for i, cell in enumerate(cells):
        name = as_text(cell).replace("\x00", "").strip() if cell is not None else ""
        name = name or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        out.append(name)
    return tuple(out)


class CsvSource:
    """A delimited text file; multi-line quoted fields are fine."""

    exact_width = True

    def __init__(self, path: Path, encoding: str, delimiter: str | None) -> None:
        self.path, self.name, self.encoding = path, path.name, encoding
        self.rejects_file = rejects_path(path)
        self.total = path.stat().st_size
        with path.open("rb") as f:
            has_bom = f.read(3) == codecs.BOM_UTF8
        self.out_encoding = "utf-8" if encoding == "utf-8-sig" and not has_bom else encoding
        self.may_hold_nul = encoding == "utf-16" or has_nul(path)
        with path.open(encoding=encoding, newline="") as f:
            sample = f.read(SNIFF_CHARS)
        if delimiter is not None and len(delimiter.replace("\\t", "\t")) != 1:
            raise ConfigError(_("--delimiter must be one character, not {delimiter}").format(
                delimiter=repr(delimiter)))
        self.delimiter = (delimiter or "").replace("\\t", "\t") or sniff_delimiter(sample)
        self._binary = path.open("rb")
        self._text = io.TextIOWrapper(self._binary, encoding=encoding, newline="")
        self._reader = csv.reader(self._text, delimiter=self.delimiter, strict=False)
        self.headers: tuple[str, ...] | None = None
        self.header_end = 0
        for line, end, cells, error in self._records(0):
            if error is None:
                self.headers = _unique_headers(cells)
                self.header_end = end
                break
            self.close()
            raise ConfigError(_("{file}:{line}: cannot read the header row: {problem}").format(
                file=self.name, line=line, problem=error))
        if self.headers is None:
            self.close()
            raise ConfigError(_("{file} is empty: a CSV needs a header row").format(
                file=self.name))

    def _records(self, prev: int) -> Iterator[Row]:
        reader = self._reader
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield prev + 1, reader.line_num, None, _("unreadable CSV: {problem}").format(
                    problem=exc)
                prev = reader.line_num
                continue
            end = reader.line_num
            if cells and (cells[0] or any(cells)):
                if any(c[:1] == "'" for c in cells):  # a formula guard of our own export
                    cells = [spreadsheet_unguarded(c) for c in cells]
                yield prev + 1, end, cells, None
            prev = end

    def __iter__(self) -> Iterator[Row]:
        return self._records(self.header_end)

    def position(self) -> int:
        return self._binary.tell()

    def write_rejects(self, rejects: list[Reject]) -> Path:
        out = self.rejects_file
        wanted = sorted((line, end, reason) for line, end, reason, _ in rejects)
        quote = _csv_quote
        with (
            self.path.open(encoding=self.encoding, newline="") as src,
            open_replacing(out, encoding=self.out_encoding, errors="replace", newline="") as dst,
        ):
            lines = iter(src)
            number = 0
            header: list[str] = []
            for _ in range(self.header_end):
                header.append(next(lines, ""))
                number += 1
            raw_header = "".join(header)
            newline = "\r\n" if raw_header.endswith("\r\n") else "\n"
            dst.write(_chomp(raw_header) + self.delimiter + REASON_COLUMN + newline)
            for line, end, reason in wanted:
                chunk = []
                while number < end:
                    text = next(lines, None)
                    if text is None:
                        break
                    number += 1
                    if number >= line:
                        chunk.append(text)
                dst.write(_chomp("".join(chunk)) + self.delimiter + quote(reason) + newline)
        return out

    def close(self) -> None:
        self._text.close()


def _chomp(text: str) -> str:
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith(("\n", "\r")):
        return text[:-1]
    return text


def _csv_quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# --- JSON Lines -------------------------------------------------------------------


class JsonlSource:
    """One JSON object per line."""

    headers: tuple[str, ...] | None = None
    exact_width = False

    def __init__(self, path: Path, encoding: str) -> None:
        self.path, self.name, self.encoding = path, path.name, encoding
        self.rejects_file = rejects_path(path, ".jsonl")
        self.total = path.stat().st_size
        self._binary = path.open("rb")
        self._text = io.TextIOWrapper(self._binary, encoding=encoding)

    def __iter__(self) -> Iterator[Row]:
        for number, line in enumerate(self._text, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line, parse_constant=_no_constant)
            except ValueError as exc:
                msg = getattr(exc, "msg", str(exc))
                yield number, number, None, _("bad JSON: {problem}").format(problem=msg)
                continue
            except RecursionError:
                yield number, number, None, _("bad JSON: nested deeper than {n} levels").format(
                    n=MAX_DEPTH)
                continue
            if not isinstance(value, dict):
                yield number, number, None, _("not a JSON object")
                continue
            problem = _unstorable(value, "\\u" in line,
                                  line.count("[") + line.count("{") > MAX_DEPTH)
            if problem:
                yield number, number, None, problem
                continue
            yield number, number, value, None

    def position(self) -> int:
        return self._binary.tell()

    def write_rejects(self, rejects: list[Reject]) -> Path:
        out = self.rejects_file
        reasons = {line: reason for line, _, reason, _ in rejects}
        with (
            self.path.open(encoding=self.encoding) as src,
            open_replacing(out, encoding="utf-8") as dst,
        ):
            for number, line in enumerate(src, 1):
                reason = reasons.get(number)
                if reason is None:
                    continue
                try:
                    value = json.loads(line)
                except (ValueError, RecursionError):
                    value = None
                if not isinstance(value, dict):
                    value = {"_raw": line.rstrip("\r\n")}
                value[REASON_COLUMN] = reason
                try:
                    text = json.dumps(value, ensure_ascii=False, default=str)
                    text.encode("utf-8")
                except (UnicodeEncodeError, RecursionError, ValueError):
                    # a lone surrogate stays the escape it arrived as; a record too deep
                    # to write again is kept as its raw line
                    try:
                        text = json.dumps(value, ensure_ascii=True, default=str)
                    except (RecursionError, ValueError):
                        text = json.dumps({"_raw": line.rstrip("\r\n"),
                                           REASON_COLUMN: reason}, ensure_ascii=True)
                dst.write(text + "\n")
        return out

    def close(self) -> None:
        self._text.close()


def _no_constant(name: str) -> Any:
    raise ValueError(_("{name} is not a JSON number").format(name=name))


def _unstorable(value: Any, escapes: bool, deep: bool) -> str | None:
    """Why a parsed record cannot be stored as it is (None: it can): a NUL character or
    a lone UTF-16 surrogate anywhere — both databases' text and PostgreSQL's JSON refuse
    them — or nesting deeper than :data:`MAX_DEPTH`. Only walked when the line holds a
    ``\\u`` escape (``escapes``) or many brackets (``deep``)."""
    if not escapes and not deep:
        return None
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return _("nested deeper than {n} levels").format(n=MAX_DEPTH)
        if isinstance(item, dict):
            for key, inner in item.items():
                stack.append((key, depth))
                stack.append((inner, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str) and escapes:
            if "\x00" in item:
                return _("contains a NUL character (a \\u0000 escape)")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return _("contains an unpaired UTF-16 surrogate (a \\ud800-\\udfff escape "
                         "alone)")
    return None


# --- XLSX -------------------------------------------------------------------------


class XlsxSource:
    """A worksheet of an Excel workbook, read in openpyxl's streaming (read-only) mode.

    The whole sheet is read once when it is opened, so a damaged workbook (cut off,
    bit-flipped, broken XML) is refused with one ConfigError before anything is written,
    never halfway through an import."""

    exact_width = False

    def __init__(self, path: Path, sheet: str | None) -> None:
        import openpyxl

        self.path, self.name = path, path.name
        self.rejects_file = rejects_path(path, ".csv")
        try:
            self._book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any failure of the parser: a damaged file
            raise ConfigError(_("cannot read {file} as an XLSX workbook: {problem}").format(
                file=path.name, problem=_reason(exc))) from None
        try:
            names = self._book.sheetnames
            if sheet is not None and sheet not in names:
                raise ConfigError(_("{file} has no sheet {sheet} (sheets: {sheets})").format(
                    file=path.name, sheet=repr(sheet), sheets=", ".join(names)))
            if not self._book.worksheets:  # a damaged or hand-made workbook
                raise ConfigError(_("cannot read {file}: the workbook has no worksheet; "
                                    "nothing was imported").format(file=path.name))
            self._sheet = self._book[sheet] if sheet is not None else self._book.worksheets[0]
            self.sheet_name = self._sheet.title
            try:
                rows = 0
                for _row in self._sheet.iter_rows(values_only=True):
                    rows += 1
            except Exception as exc:  # noqa: BLE001 - any failure of the parser: damaged
                raise ConfigError(_("cannot read {file}: sheet {sheet} is damaged after row "
                                    "{row} ({problem}); nothing was imported").format(
                    file=path.name, sheet=repr(self.sheet_name), row=rows,
                    problem=_reason(exc))) from None
            self.total = rows
            self._rows = enumerate(self._sheet.iter_rows(values_only=True), 1)
            self.headers = None
            self._done = 0
            for number, cells in self._rows:
                self._done = number
                if any(c is not None and as_text(c).strip() for c in cells):
                    self.headers = _unique_headers(list(cells))
                    break
            if self.headers is None:
                raise ConfigError(_("{file}: sheet {sheet} is empty").format(
                    file=path.name, sheet=repr(self.sheet_name)))
        except BaseException:
            self._book.close()
            raise

    def __iter__(self) -> Iterator[Row]:
        try:
            for number, cells in self._rows:
                self._done = number
                values = [c.strip() if isinstance(c, str) else c for c in cells]
                if any(v is not None and v != "" for v in values):
                    yield number, number, values, _unstorable_cells(values)
        except Exception as exc:  # noqa: BLE001 - the file changed since it was checked
            raise ConfigError(_("cannot read {file}: sheet {sheet} became unreadable after row "
                                "{row} ({problem})").format(
                file=self.name, sheet=repr(self.sheet_name), row=self._done,
                problem=_reason(exc))) from None

    def position(self) -> int:
        return self._done

    def write_rejects(self, rejects: list[Reject]) -> Path:
        out = self.rejects_file
        assert self.headers is not None
        with open_replacing(out, encoding="utf-8-sig", errors="replace", newline="") as dst:
            writer = csv.writer(dst)
            writer.writerow([*self.headers, REASON_COLUMN])
            for _, _, reason, cells in rejects:
                row = ["" if c is None else as_text(c) for c in (cells or [])]
                writer.writerow([*row, *[""] * (len(self.headers) - len(row)), reason])
        return out

    def close(self) -> None:
        self._book.close()


def _unstorable_cells(values: list[Any]) -> str | None:
    """A lone surrogate in a sheet's text (from an ``_xD800_`` escape): no database
    stores it, so the row is a reject. (NULs are caught with the other rows' checks.)"""
    try:
        "".join(v for v in values if isinstance(v, str)).encode("utf-8")
    except UnicodeEncodeError:
        return _("contains an unpaired UTF-16 surrogate")
    return None


def _reason(exc: BaseException) -> str:
    """An exception as a short, one-line reason."""
    text = " ".join(str(exc).split())[:200]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
