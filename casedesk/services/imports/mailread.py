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
from email.parser import BytesHeaderParser, BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from casedesk.errors import ConfigError
from casedesk.services.imports.base import RowError
from casedesk.services.imports.values import quoted

_MSGID = re.compile(r"<[^<>\s]+>")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


# --- reading ---------------------------------------------------------------------------


class MailSource:
    """The messages of one path, oldest first: (ordinal, raw bytes)."""

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        self.rejects_file = path.parent / f"{path.stem if path.is_file() else path.name}" \
            ".rejects.mbox"
        self._box: mailbox.Mailbox | None = None
        if path.is_dir():
            if not any((path / sub).is_dir() for sub in ("cur", "new")):
                raise ConfigError(f"{path} is a folder but not a Maildir (no cur/ or new/)")
            self._box = mailbox.Maildir(path, factory=None, create=False)
        else:
            with path.open("rb") as f:
                head = f.read(5)
            if head == b"From ":
                self._box = mailbox.mbox(path, create=False)
        if self._box is not None:
            keys = list(self._box.keys())
            self._order = sorted(enumerate(keys), key=lambda ik: self._when(ik[1], ik[0]))
        else:
            self._order = [(0, None)]
        self.total = len(self._order)

    def _when(self, key: Any, index: int) -> tuple[datetime, int]:
        assert self._box is not None
        try:
            with self._box.get_file(key) as f:
                headers = BytesHeaderParser().parse(f)  # type: ignore[arg-type]
            date = parsedate_to_datetime(headers["Date"])
            if date.tzinfo is None:
                date = date.replace(tzinfo=UTC)
            return date.astimezone(UTC), index
        except (TypeError, ValueError, IndexError, KeyError, OSError):
            return datetime.max.replace(tzinfo=UTC), index

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        for index, key in self._order:
            if self._box is None:
                yield 1, self.path.read_bytes()
            else:
                yield index + 1, self._box.get_bytes(key)

    def write_rejects(self, rejects: list[tuple[int, bytes, str]]) -> Path:
        if self.rejects_file.exists():
            self.rejects_file.unlink()
        box = mailbox.mbox(self.rejects_file, create=True)
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
    """The parts of a message an interaction needs."""

    def __init__(self, data: bytes, zone: zoneinfo.ZoneInfo, now: datetime) -> None:
        msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(data)  # type: ignore[assignment]
        raw_id = _header(msg, "Message-ID")
        found = _MSGID.search(raw_id)
        self.message_id = clean(found.group(0) if found else raw_id.strip()) or \
            f"<{hashlib.sha1(data).hexdigest()}@casedesk.invalid>"
        if len(self.message_id) > 500:
            raise RowError(f"Message-ID: longer than 500 characters: {quoted(self.message_id)}")
        self.address, self.display = _sender(msg)
        self.to = clean(_header(msg, "To"))[:2000] or None
        self.subject = clean(" ".join(_header(msg, "Subject").split()))
        self.date = _date(msg, zone, now)
        self.in_reply_to = _MSGID.findall(_header(msg, "In-Reply-To"))
        self.references = self.in_reply_to + _MSGID.findall(_header(msg, "References"))
        self.body, self.attachments = _content(msg)


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError, AttributeError):
        return ""
    return str(value) if value is not None else ""


def _sender(msg: EmailMessage) -> tuple[str, str]:
    try:
        header = msg.get("From")
        addresses = getattr(header, "addresses", ()) if header is not None else ()
    except (ValueError, TypeError, IndexError, AttributeError):
        addresses = ()
    for address in addresses:
        spec = clean(address.addr_spec or "").strip().lower()
        if _EMAIL.match(spec):
            return spec, clean(address.display_name or "").strip()
    raise RowError(f"From: no sender address in {quoted(_header(msg, 'From'))}")


def _date(msg: EmailMessage, zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    try:
        header = msg.get("Date")
        when = getattr(header, "datetime", None) if header is not None else None
    except (ValueError, TypeError, IndexError, AttributeError, OverflowError):
        when = None
    if when is None:
        return now
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return min(when.astimezone(UTC), now)


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
