"""``import articles DIR``: a folder of Markdown files, one knowledge article per file.

Every ``*.md`` file under DIR (sub-folders too, in path order) is one record of the
articles kind: its external id is its path relative to DIR (``billing/refunds.md``), so a
re-import updates the same articles; its title is the front matter's ``title`` or else
its first ``# `` heading (taken out of the body), else the file name; ``keywords`` (or
``tags``, a list or text) and ``status`` come from the front matter (a ``---`` block of
YAML at the top); the body is the rest of the file. A file that is not UTF-8 text, or
whose front matter is not valid YAML, is rejected with its reason. Rejected files are
listed, with their reasons, in ``DIR.rejects.jsonl`` beside the folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from casedesk.datafiles import parse_document
from casedesk.errors import ValidationError
from casedesk.i18n import _
from casedesk.services.imports.mapping import REASON_COLUMN
from casedesk.services.imports.readers import Reject, Row
from casedesk.services.imports.rejectfile import open_replacing

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
MAX_FILE_BYTES = 4_000_000


def article_of(text: str, relative: str) -> dict[str, Any]:
    """The article record of one Markdown file's text (ValidationError: bad front matter)."""
    meta: dict[str, Any] = {}
    body = text
    front = _FRONT.match(text)
    if front:
        data = parse_document(front.group(1), yaml=True,
                              where=_("{file}: front matter").format(file=relative))
        if not isinstance(data, dict):
            raise ValidationError(_("{file}: front matter: not a mapping of keys").format(
                file=relative))
        meta = {str(k).lower(): v for k, v in data.items()}
        body = text[front.end():]
    title = meta.get("title")
    if title is None:
        heading = _HEADING.search(body)
        if heading:
            title = heading.group(1)
            body = body[:heading.start()] + body[heading.end():].lstrip("\r\n")
        else:
            title = Path(relative).stem.replace("-", " ").replace("_", " ")
    record: dict[str, Any] = {"id": relative, "title": str(title).strip(),
                              "body": body.strip("\r\n")}
    keywords = meta.get("keywords", meta.get("tags"))
    if isinstance(keywords, list):
        keywords = ", ".join(str(k) for k in keywords)
    if keywords is not None:
        record["keywords"] = str(keywords)
    if meta.get("status") is not None:
        record["status"] = str(meta["status"])
    return record


class MarkdownFolder:
    """A folder of Markdown files as a source of records (see the module docstring)."""

    headers: tuple[str, ...] | None = None
    exact_width = False

    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
        self.files = sorted((p for p in path.rglob("*.md") if p.is_file()),
                            key=lambda p: p.relative_to(path).as_posix())
        self.total = len(self.files)
        self.rejects_file = path.with_name(f"{path.name}.rejects.jsonl")
        self._done = 0

    def __iter__(self) -> Iterator[Row]:
        for number, file in enumerate(self.files, 1):
            self._done = number
            relative = file.relative_to(self.path).as_posix()
            try:
                if file.stat().st_size > MAX_FILE_BYTES:
                    yield number, number, None, _("{file}: larger than 4 MB").format(file=relative)
                    continue
                text = file.read_bytes().decode("utf-8-sig")
                yield number, number, article_of(text, relative), None
            except UnicodeDecodeError:
                yield number, number, None, _("{file}: not UTF-8 text").format(file=relative)
            except ValidationError as exc:
                yield number, number, None, str(exc)
            except OSError as exc:
                yield number, number, None, _("{file}: cannot be read ({problem})").format(
                    file=relative, problem=exc.strerror)

    def position(self) -> int:
        return self._done

    def write_rejects(self, rejects: list[Reject]) -> Path:
        out = self.rejects_file
        with open_replacing(out, encoding="utf-8") as dst:
            for line, _, reason, _ in sorted(rejects, key=lambda r: r[0]):
                file = self.files[line - 1].relative_to(self.path).as_posix()
                dst.write(json.dumps({"file": file, REASON_COLUMN: reason},
                                     ensure_ascii=False) + "\n")
        return out

    def close(self) -> None:
        """Nothing stays open between files."""
