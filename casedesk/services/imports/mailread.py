"""Reading mail: mbox files, Maildir folders and .eml files; one message's parts.

Messages are taken oldest first (by their Date header) so replies follow what they
answer. Bodies: the text/plain part, else the text/html one turned into text with
``html.parser``; attachments are listed by name, size and type. A message without a
Message-ID gets ``<sha1@casedesk.invalid>`` of its bytes, so re-imports still skip it.
"""

from __future__ import annotations

import hashlib
import mailbox
import re
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser, HeaderParser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from casedesk.errors import ConfigError
from casedesk.i18n import _
from casedesk.services.imports.kinds.base import RowError
from casedesk.services.imports.rejectfile import replacing
from casedesk.services.imports.values import quoted

_MSGID = re.compile(r"<[^<>\s]+>")
_HEAD_BYTES = 64 * 1024  # enough of a message to find its Date for the ordering


# --- reading ---------------------------------------------------------------------------


class MailSource:
    """The messages of one path, oldest first: (ordinal, raw bytes)."""

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        self.rejects_file = path.parent / f"{path.stem if path.is_file() else path.name}" \
            ".rejects.mbox"
        self._box: mailbox.Mailbox | None = None
        self._unreadable: str | None = None
        if path.is_dir():
            if not any((path / sub).is_dir() for sub in ("cur", "new")):
                raise ConfigError(_("{path} is a folder but not a Maildir (no cur/ or new/)")
                                  .format(path=path))
            self._box = mailbox.Maildir(path, factory=None, create=False)
        else:
            try:
                with path.open("rb") as f:
                    head = f.read(5)
            except OSError as exc:  # one reject (the file), the other files go on
                head = b""
                self._unreadable = _("unreadable file: {problem}").format(
                    problem=exc.strerror or exc)
            if head == b"From ":
                self._box = mailbox.mbox(path, create=False)
        if self._box is not None:
            try:
                keys = list(self._box.keys())
            except (OSError, mailbox.Error) as exc:
                raise ConfigError(_("cannot read the messages of {path}: {problem}").format(
                    path=path, problem=exc)) from None
            self._order: list[tuple[int, str | None]] = sorted(
                enumerate(keys), key=lambda ik: self._when(ik[1], ik[0]))
        else:
            self._order = [(0, None)]
        self.total = len(self._order)

    def _when(self, key: Any, index: int) -> tuple[datetime, int]:
        assert self._box is not None
        try:
            with self._box.get_file(key) as f:
                head = f.read(_HEAD_BYTES)
            when = _headers(head).get("Date")
            date = getattr(when, "datetime", None)
            if date is None:
                raise ValueError("no date")
            if date.tzinfo is None:
                date = date.replace(tzinfo=UTC)
            return date.astimezone(UTC), index
        except Exception:  # noqa: BLE001 - a message without a readable date goes last
            return datetime.max.replace(tzinfo=UTC), index

    def __iter__(self) -> Iterator[tuple[int, bytes, str | None]]:
        """(ordinal, bytes, None), or (ordinal, what could be read, why not) for a message
        that cannot be read (it then becomes a reject, the others go on)."""
        for index, key in self._order:
            if self._unreadable is not None:
                yield 1, b"", self._unreadable
                continue
            try:
                if self._box is None:
                    yield 1, self.path.read_bytes(), None
                else:
                    assert key is not None  # a mailbox's keys are strings
                    yield index + 1, self._box.get_bytes(key), None
            except (OSError, KeyError, mailbox.Error) as exc:
                problem = exc.strerror or exc if isinstance(exc, OSError) else exc
                yield index + 1, b"", _("unreadable message: {problem}").format(problem=problem)

    def write_rejects(self, rejects: list[tuple[int, bytes, str]]) -> Path:
        """``NAME.rejects.mbox``, whole or not at all."""
        with replacing(self.rejects_file) as tmp:
            box = mailbox.mbox(tmp, create=True)
            try:
                for _, data, reason in rejects:
                    line = " ".join(reason.split()).encode("utf-8", "replace")
                    box.add(b"X-Casedesk-Reason: " + line + b"\n" + data)
                box.flush()
            finally:
                box.close()
        return self.rejects_file

    def close(self) -> None:
        if self._box is not None:
            self._box.close()


class _TextOf(HTMLParser):
    """HTML → plain text (blocks become lines; scripts and styles vanish)."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table",
              "ul", "ol", "blockquote", "pre", "hr", "section", "article", "header", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n- " if tag == "li" else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head", "title"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def clean(text: str) -> str:
    """No NULs, no lone surrogates: text both databases accept."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


class Mail:
    """The parts of a message an interaction needs.

    Headers are read as text (RFC 6532: raw UTF-8 in a header is UTF-8; a line that is
    not is read as Windows-1252), so a display name or subject written in raw UTF-8
    keeps its letters; the body comes from the bytes (its own charset and transfer
    encoding). ``content_hash`` tells two different messages sharing one Message-ID
    apart (body, subject, sender and Date header as written).
    """

    def __init__(self, data: bytes, zone: zoneinfo.ZoneInfo, now: datetime) -> None:
        msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(data)
        head = _headers(data)
        raw_id = _header(head, "Message-ID")
        found = _MSGID.search(raw_id)
        self.message_id = clean(found.group(0) if found else raw_id.strip()) or \
            f"<{hashlib.sha1(data).hexdigest()}@casedesk.invalid>"
        if len(self.message_id) > 500:
            raise RowError(_("Message-ID: longer than 500 characters: {value}").format(
                value=quoted(self.message_id)))
        self.address, self.display = _sender(head)
        self.to = clean(_header(head, "To"))[:2000] or None
        self.subject = clean(_FOLD.sub(" ", _header(head, "Subject")).strip())
        raw_date = _header(head, "Date")
        self.date = _date(head, zone, now)
        self.in_reply_to = _MSGID.findall(_header(head, "In-Reply-To"))
        self.references = self.in_reply_to + _MSGID.findall(_header(head, "References"))
        self.body, self.attachments = _content(msg)
        self.content_hash = hashlib.sha256("\x1f".join(
            (self.body, self.subject, self.address, self.display, " ".join(raw_date.split()))
        ).encode("utf-8", "surrogatepass")).hexdigest()


_FOLD = re.compile(r"[ \t\r\n]+")


def _headers(data: bytes) -> EmailMessage:
    """The header block of ``data`` parsed as text: each line UTF-8 if it decodes so,
    else Windows-1252 (Latin-1 for the bytes that has no letter for)."""
    end = len(data)
    for sep in (b"\r\n\r\n", b"\n\n", b"\r\r"):
        at = data.find(sep)
        if at != -1:
            end = min(end, at)
    lines = []
    for line in data[:end].splitlines():
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                lines.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                lines.append(line.decode("latin-1"))
    text = "\n".join(lines).replace("\x00", "")
    return HeaderParser(policy=policy.default).parsestr(text + "\n\n")


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value) if value is not None else ""
    except Exception:  # noqa: BLE001 - a header the parser cannot make sense of is absent
        return ""


def _local_ok(local: str) -> bool:
    """An RFC 5322 local part: a dot-atom (no spaces) or a quoted string."""
    if len(local) >= 2 and local[0] == local[-1] == '"':
        return all(c not in "\r\n\x00" for c in local)
    return bool(local) and not any(c.isspace() or c in '"<>()[],;:@\\' for c in local)


def valid_address(spec: str) -> bool:
    """Whether ``spec`` (``local@domain``) is an address mail can be answered at."""
    local, at, domain = spec.rpartition("@")
    return bool(at) and _local_ok(local) and bool(_DOMAIN.match(domain))


_DOMAIN = re.compile(r"^[^@\s\"]+\.[^@\s.\"]+$")


def _sender(msg: EmailMessage) -> tuple[str, str]:
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", ()) if header is not None else ()
    except Exception:  # noqa: BLE001 - an unparsable From is no sender
        addresses = ()
    for address in addresses:
        try:
            spec = clean(address.addr_spec or "").strip().lower()
            display = clean(address.display_name or "").strip()
        except Exception:  # noqa: BLE001 - a malformed address is skipped
            continue
        if valid_address(spec):
            return spec, display
    raise RowError(_("From: no sender address in {value}").format(
        value=quoted(_header(msg, "From"))))


def _date(msg: EmailMessage, zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    try:
        header = msg.get("Date")
        when: datetime | None = (getattr(header, "datetime", None) if header is not None
                                 else None)
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=zone)
            when = when.astimezone(UTC)
    except Exception:  # noqa: BLE001 - an unreadable Date is no date
        when = None
    if when is None:
        return now
    return min(when, now)


def _content(msg: EmailMessage) -> tuple[str, list[dict[str, Any]]]:
    try:
        body = msg.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, TypeError, AttributeError):
        body = None
    text = ""
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError, TypeError, AttributeError, AssertionError):
            payload = body.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        if not isinstance(content, str):
            content = ""
        text = html_to_text(content) if body.get_content_type() == "text/html" else content
    attachments = []
    for part in msg.walk():
        if part is body or part.is_multipart():
            continue
        filename = part.get_filename()
        if part.get_content_disposition() != "attachment" and not filename:
            continue
        payload = part.get_payload(decode=True)
        attachments.append({
            "name": clean(filename or "unnamed"),
            "size": len(payload) if isinstance(payload, bytes) else 0,
            "type": part.get_content_type(),
        })
    return clean(text).strip(), attachments


# --- writing ---------------------------------------------------------------------------
