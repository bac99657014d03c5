"""Mapping profiles: one TOML file that says how a helpdesk's export maps onto casedesk.

A profile holds::

    kind = "cases"                 # the kind of record it is for (optional)
    description = "…"              # a line for people (optional)
    timezone = "UTC"               # zone of times written without an offset
    date_order = "monthfirst"      # dayfirst / monthfirst / iso
    [columns]                      # header → field, "-" (ignore) or "extras"
    "Ticket Subject" = "title"
    [values.priority]              # value in the file → casedesk value (folded match)
    "Critical" = "high"
    [defaults]                     # field → value for rows that leave it empty
    queue = "Soporte"

It is validated whole before anything is read (:func:`load_profile`): any problem is one
ConfigError line naming the file and the key. Flags given on the command line win over
the profile (:func:`apply_profile`). ``--profile NAME`` finds a shipped profile in
``data/profiles/NAME.toml``.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from casedesk.datafiles import parse_document
from casedesk.errors import ConfigError, ValidationError
from casedesk.i18n import _, ngettext
from casedesk.localformat import number
from casedesk.services.imports.kinds.registry import KINDS
from casedesk.services.imports.mapping import (
    EXTRAS,
    IGNORE,
    mappable,
    synonym_table,
    value_maps,
)
from casedesk.services.imports.summary import ImportOptions
from casedesk.services.imports.values import fold

PROFILES_DIR = Path(__file__).resolve().parents[3] / "data" / "profiles"
DATE_ORDERS = ("dayfirst", "monthfirst", "iso")
KEYS = ("kind", "description", "timezone", "date_order", "columns", "values", "defaults")
MAX_PROFILE_BYTES = 1_000_000
#: bidi controls and line separators, escaped so that a written profile reads as it is
_INVISIBLE = frozenset((0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
                        *range(0x2066, 0x206A), 0xFEFF))


@dataclass(frozen=True)
class Profile:
    """A validated mapping profile (see the module docstring)."""

    where: str  # "profile zendesk-tickets" or "profile ./mine.toml", for messages
    kind: str | None = None
    description: str = ""
    timezone: str | None = None
    date_order: str | None = None
    columns: tuple[tuple[str, str], ...] = ()
    values: tuple[tuple[str, str, str], ...] = ()  # field, source, target
    defaults: tuple[tuple[str, str], ...] = ()


def shipped_profiles() -> list[str]:
    """The names of the profiles casedesk ships."""
    if not PROFILES_DIR.is_dir():
        return []
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def find_profile(name_or_path: str) -> Path:
    """A profile file by path, or a shipped one by name; ConfigError if neither."""
    path = Path(name_or_path)
    try:
        if path.is_file():
            return path
        shipped = PROFILES_DIR / f"{name_or_path}.toml"
        if "/" not in name_or_path and "\\" not in name_or_path and shipped.is_file():
            return shipped
    except (OSError, ValueError):
        pass
    names = ", ".join(shipped_profiles()) or _("none")
    raise ConfigError(_("--profile {profile}: no such file and no shipped profile of that name "
                        "(shipped: {names})").format(profile=repr(name_or_path), names=names))


def read_profile(name_or_path: str, kind: str | None = None) -> Profile:
    """Find, read and validate a profile (for ``kind``, when given)."""
    path = find_profile(name_or_path)
    where = _("profile {name}").format(name=path.stem if path.parent == PROFILES_DIR else path)
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise ConfigError(_("{where}: larger than 1 MB; is it a profile?").format(
                where=where))
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ConfigError(_("{where}: cannot read it: {problem}").format(
            where=where, problem=reason)) from None
    return load_profile(text, where, kind)


def load_profile(text: str, where: str = "profile", kind: str | None = None) -> Profile:
    """Parse and validate a profile's TOML; ConfigError (one line naming the key) if bad."""
    try:
        data = parse_document(text, yaml=False, where=where)
    except ValidationError as exc:  # a profile is configuration: exit 2, like a bad --map
        raise ConfigError(_line(str(exc))) from None
    unknown = [k for k in data if k not in KEYS]
    if unknown:
        raise ConfigError(_("{where}: unknown key {key} (keys: {keys})").format(
            where=where, key=_key(unknown[0]), keys=", ".join(KEYS)))
    own = _text(data, "kind", where)
    if own is not None and own not in KINDS:
        raise ConfigError(_("{where}: kind {kind} is not one of {kinds}").format(
            where=where, kind=repr(own), kinds=", ".join(KINDS)))
    if own is not None and kind is not None and own != kind:
        raise ConfigError(_("{where}: the profile is for {own}, not {kind}").format(
            where=where, own=own, kind=kind))
    target = kind or own
    zone = _text(data, "timezone", where)
    if zone is not None:
        try:
            if not zone or len(zone) > 64:
                raise ValueError(zone)
            zoneinfo.ZoneInfo(zone)
        except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
            raise ConfigError(_("{where}: timezone {zone} is not a time zone (e.g. "
                                "Europe/Madrid or UTC)").format(
                where=where, zone=repr(zone))) from None
    order = _text(data, "date_order", where)
    if order is not None and order not in DATE_ORDERS:
        raise ConfigError(_("{where}: date_order {order} is not one of {orders}").format(
            where=where, order=repr(order), orders=", ".join(DATE_ORDERS)))
    profile = Profile(
        where=where, kind=own, description=_text(data, "description", where) or "",
        timezone=zone, date_order=order,
        columns=tuple(_pairs(data, "columns", where)),
        values=tuple((name, source, value) for name, table in _tables(data, "values", where)
                     for source, value in table),
        defaults=tuple(_pairs(data, "defaults", where, scalars=True)),
    )
    if target is not None:
        check_for_kind(profile, target)
    return profile


def check_for_kind(profile: Profile, kind: str) -> None:
    """Every column target, value map and default field against ``kind``'s fields."""
    specs = KINDS[kind]().specs
    lookup = synonym_table(specs)
    for header, field in profile.columns:
        if field != IGNORE and fold(field) != EXTRAS and fold(field) not in lookup:
            raise ConfigError(_("{where}: columns.{key}: {kind} have no field {field} "
                                "(fields: {fields}, extras, or - to ignore)").format(
                where=profile.where, key=_key(header), kind=kind, field=repr(field),
                fields=", ".join(s.name for s in specs)))
    for name, _value in profile.defaults:
        if fold(name) not in lookup:
            raise ConfigError(_("{where}: defaults.{key}: {kind} have no field {field} "
                                "(fields: {fields})").format(
                where=profile.where, key=_key(name), kind=kind, field=repr(name),
                fields=", ".join(s.name for s in specs)))
    value_maps(kind, specs, value_entries(profile))


def value_entries(profile: Profile) -> tuple[tuple[str, str, str, str], ...]:
    """The profile's value maps as ImportOptions.values entries (each naming its key)."""
    return tuple((name, source, value, f"{profile.where}: values.{_key(name)}.{_key(source)}")
                 for name, source, value in profile.values)


def apply_profile(profile: Profile, options: ImportOptions, *, maps: tuple[str, ...],
                  values: tuple[tuple[str, str, str, str], ...], timezone: str | None,
                  dayfirst: bool | None) -> ImportOptions:
    """``options`` with the profile underneath the flags: ``maps``/``values`` given on the
    command line win, and so do ``timezone``/``dayfirst`` when not None."""
    order = profile.date_order
    defaults = tuple((name, value, f"{profile.where}: defaults.{_key(name)}")
                     for name, value in profile.defaults
                     if not (options.queue and fold(name) in ("queue", "cola")))
    return replace(
        options,
        profile_maps=tuple(f"{header}={field}" for header, field in profile.columns),
        mappings=maps,
        values=(*value_entries(profile), *values),
        defaults=defaults,
        timezone=timezone or profile.timezone or options.timezone,
        dayfirst=dayfirst if dayfirst is not None else order != "monthfirst",
        iso_dates=dayfirst is None and order == "iso",
    )


# --- reading the TOML's parts ---------------------------------------------------------------


def _line(text: str) -> str:
    return " ".join(text.split())[:200]


def _key(name: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted."""
    if name and all(c.isascii() and (c.isalnum() or c in "-_") for c in name):
        return name
    return toml_string(name)


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and every control character escaped."""
    out = ['"']
    for c in text:
        if c == '"':
            out.append('\\"')
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif 0xD800 <= ord(c) <= 0xDFFF:  # a lone surrogate: TOML cannot hold it
            out.append("\\uFFFD")
        elif ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or ord(c) in _INVISIBLE:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def _text(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(_("{where}: {key} must be a string").format(where=where, key=key))
    return value.strip()


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(_("{where}: {key} must be a table ([{key}])").format(
            where=where, key=key))
    return value


def _pairs(data: dict[str, Any], key: str, where: str, *, scalars: bool = False
           ) -> list[tuple[str, str]]:
    out = []
    for name, value in _table(data, key, where).items():
        if scalars and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ConfigError(_("{where}: {key} must be a string").format(
                where=where, key=f"{key}.{_key(name)}"))
        if not name.strip():
            raise ConfigError(_("{where}: {key} has an empty name").format(where=where, key=key))
        out.append((name, value.strip()))
    return out


def _tables(data: dict[str, Any], key: str, where: str
            ) -> list[tuple[str, list[tuple[str, str]]]]:
    out = []
    for name, table in _table(data, key, where).items():
        if not isinstance(table, dict):
            raise ConfigError(_("{where}: {key} must be a table ([{key}])").format(
                where=where, key=f"{key}.{_key(name)}"))
        out.append((name, _pairs({name: table}, name, f"{where}: {key}")))
    return out


def unmapped_snippet(kind: str, unmapped: dict[str, dict[str, list[Any]]],
                     limit: int = 50) -> str:
    """The values no map knew, as ``[values.FIELD]`` tables to paste into a profile:
    ``"Critical" = "?"  # 1,234 rows`` (most frequent first, ``limit`` per field)."""
    coded = mappable(KINDS[kind]().specs) if kind in KINDS else {}
    out: list[str] = []
    for name in sorted(unmapped):
        seen = sorted(unmapped[name].values(), key=lambda e: (-e[1], e[0]))
        parser = coded.get(name)
        choices = f"  # {', '.join(parser.canonical)}" if parser is not None else ""
        out += [*([""] if out else []), f"[values.{_key(name)}]{choices}"]
        for shown, rows in seen[:limit]:
            count = ngettext("{n} row", "{n} rows", rows).format(n=number(rows))
            out.append(f"{toml_string(shown)} = \"?\"  # {count}")
        if len(seen) > limit:
            more = len(seen) - limit
            out.append("# " + ngettext("… and {n} more value", "… and {n} more values",
                                       more).format(n=number(more)))
    return "\n".join(out)
