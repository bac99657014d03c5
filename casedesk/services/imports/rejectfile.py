"""Rejects files: checked before an import writes anything, written whole or not at all.

A rejects file is written to a temporary file beside its final name and moved into place
only once complete, so a failure while writing it (a full disk, a value that cannot be
encoded) never leaves half a file behind, and an older rejects file stays until the new
one is ready. When the rejects path is taken by a folder, or its folder cannot be written
to, the import stops before it writes anything (ConfigError, exit 2): a fallback name
would leave the user looking for the reasons in the wrong place.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from casedesk.errors import ConfigError
from casedesk.i18n import _
from casedesk.localformat import number
from casedesk.services.imports.summary import ImportSummary


def check_rejects_path(path: Path) -> None:
    """Refuse (ConfigError) a rejects path the import could not write at the end."""
    if path.is_dir():
        raise ConfigError(_("cannot write the rejects file {path}: a folder has that name; "
                            "move or rename it and import again").format(path=path))
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(_("cannot write the rejects file {path}: it is read-only").format(
            path=path))
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(_("cannot write the rejects file {path}: the folder {folder} is not "
                            "writable").format(path=path, folder=folder))


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A fresh temporary path beside ``path`` (not created yet); moved onto ``path`` when
    the block succeeds, removed when it fails."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def open_replacing(
    path: Path, *, encoding: str, errors: str = "strict", newline: str | None = None
) -> Iterator[IO[str]]:
    """A text file (``open``'s arguments) that becomes ``path`` only when complete."""
    with (
        replacing(path) as tmp,
        tmp.open("w", encoding=encoding, errors=errors, newline=newline) as f,
    ):
        yield f


def write_failed(path: Path, exc: OSError, summary: ImportSummary) -> ConfigError:
    """The error for a rejects file that could not be written after all (a full disk):
    it says what the import did, since the batches before are in."""
    done = summary.created + summary.updated + summary.unchanged
    counts = {"path": path, "problem": exc.strerror or exc, "done": number(done),
              "read": number(summary.read), "rejected": number(summary.rejected)}
    if summary.errors:
        return ConfigError(_("cannot write the rejects file {path}: {problem}; {done} of {read} "
                             "records imported, {rejected} rejected; the first: {first}").format(
            first=summary.errors[0], **counts))
    return ConfigError(_("cannot write the rejects file {path}: {problem}; {done} of {read} "
                         "records imported, {rejected} rejected").format(**counts))


def check_distinct(pairs: list[tuple[str, Path]]) -> None:
    """Refuse (ConfigError) two inputs whose rejects would go to one file (``a.csv`` and
    ``a.xlsx`` both write ``a.rejects.csv``): one would overwrite the other's. ``pairs``:
    (input path, its rejects path); one input named twice is fine."""
    seen: dict[Path, str] = {}
    for name, path in pairs:
        key = path.resolve()
        if key in seen and Path(seen[key]).resolve() != Path(name).resolve():
            raise ConfigError(_("{first} and {second} would both write their rejects to "
                                "{path}: import them one at a time").format(
                first=seen[key], second=name, path=path))
        seen[key] = name
