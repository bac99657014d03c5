"""Files people write for the desk (SLA policies, routing rules, templates, import
profiles): read as UTF-8 text and parsed as TOML or YAML, every failure one clear
:class:`~casedesk.errors.ValidationError` line naming the file. Pure: no database.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from casedesk.errors import ValidationError
from casedesk.i18n import _

YAML_SUFFIXES = (".yaml", ".yml")


def read_text_file(path: Path) -> str:
    """A UTF-8 text file's content; unreadable, binary or non-UTF-8 files are one clear
    :class:`ValidationError` (the byte offset of the first bad byte, or the NUL)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(_("cannot read {path}: {problem}").format(
            path=path, problem=exc.strerror or exc)) from None
    except ValueError as exc:  # a NUL in the path
        raise ValidationError(_("cannot read {path}: {problem}").format(
            path=repr(str(path)), problem=exc)) from None
    return decode_text(data, str(path))


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 ``data`` as text (a BOM dropped); binary or non-UTF-8 data is one clear
    :class:`ValidationError` naming ``where`` and the offset of the first bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("{where} is not UTF-8 text (byte {byte} at offset {offset}): give a text file")
            .format(where=where, byte=f"0x{data[exc.start]:02x}", offset=exc.start)
        ) from None
    if "\x00" in text:
        raise ValidationError(
            _("{where} looks like a binary file (a NUL byte at offset {offset}): give a text "
              "file").format(where=where, offset=text.index(chr(0)))
        )
    return text.removeprefix("\ufeff")


def parse_document(text: str, *, yaml: bool, where: str) -> Any:
    """TOML or YAML text as data (an empty YAML document is ``{}``); a syntax error, a
    value YAML cannot build (a date like 2024-13-45) or nesting too deep for the parser is
    one :class:`ValidationError` line naming ``where``."""
    if yaml:
        import yaml as pyyaml

        try:
            data = pyyaml.safe_load(text)
        except pyyaml.YAMLError as exc:
            raise ValidationError(_("{where}: not valid YAML: {problem}").format(
                where=where, problem=str(exc).splitlines()[0])) from None
        except RecursionError:
            raise ValidationError(_("{where}: not valid YAML: nested too deeply").format(
                where=where)) from None
        except (ValueError, TypeError) as exc:
            raise ValidationError(_("{where}: not valid YAML: {problem}").format(
                where=where, problem=exc)) from None
        return {} if data is None else data
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError(_("{where}: not valid TOML: {problem}").format(
            where=where, problem=exc)) from None
    except RecursionError:
        raise ValidationError(_("{where}: not valid TOML: nested too deeply").format(
            where=where)) from None


def read_document(path: Path) -> Any:
    """A TOML or YAML file (by its suffix) as data: :func:`read_text_file` then
    :func:`parse_document`."""
    return parse_document(
        read_text_file(path), yaml=path.suffix.lower() in YAML_SUFFIXES, where=str(path)
    )
