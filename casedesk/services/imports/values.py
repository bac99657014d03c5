"""Cell values → typed values: folding, dates, vocabularies in English and Spanish, numbers.

Every parser takes a non-empty cell (a stripped ``str``, or a typed value from JSON Lines
or XLSX) and returns the value to store, or raises :class:`ValueError` with the part of
a rejection reason that follows the field name (``"juan@" is not an e-mail address``).

Dates: ISO 8601 first; then ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (``-`` and ``.`` work as
separators, an optional ``HH:MM[:SS]`` may follow). When both readings are possible the
day comes first unless ``dayfirst`` is off (``--monthfirst``): Spanish and European data
write the day first. Times without an offset are wall-clock times in the import's time
zone and are stored in UTC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, tzinfo
from functools import lru_cache
from typing import Any

from casedesk.i18n import _
from casedesk.services.directory.addresses import is_email

_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_PHONE = re.compile(r"^[0-9+()\-./\s]+(?:\s*(?:x|ext\.?)\s*\d+)?$", re.IGNORECASE)
_DMY = re.compile(
    r"^(\d{1,4})[/.\-](\d{1,2})[/.\-](\d{1,4})"
    r"(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?$"
)
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})$")
_UNITS = re.compile(r"^(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?$", re.IGNORECASE)
MIN_YEAR, MAX_YEAR = 1900, 2100


@lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Case-, accent- and punctuation-free key: ``"Correo Electrónico"`` → ``correoelectronico``."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", bare)


def quoted(value: Any, limit: int = 60) -> str:
    """A value as it appears in a reason: ``"juan@"`` (shortened when long)."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return '"' + text.replace('"', '\\"') + '"'


def as_text(value: Any) -> str:
    """A typed cell (JSON/XLSX) as text: integral floats lose their ``.0``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# --- vocabularies -------------------------------------------------------------------

def _vocab(table: dict[str, tuple[str, ...]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, words in table.items():
        for word in (canonical, *words):
            out[fold(word)] = canonical
    return out


PRIORITY = _vocab({
    "high": ("alta", "alto", "urgente", "urgent", "h", "1"),
    "medium": ("media", "medio", "normal", "med", "m", "2"),
    "low": ("baja", "bajo", "l", "3"),
})
SEVERITY = _vocab({
    "critical": ("crítica", "crítico", "critica", "blocker", "bloqueante", "1"),
    "major": ("mayor", "grave", "importante", "alta", "2"),
    "minor": ("menor", "leve", "baja", "trivial", "3"),
})
CHANNEL = _vocab({
    "phone": ("teléfono", "telephone", "tel", "call", "llamada", "voz", "voice"),
    "email": ("e-mail", "mail", "correo", "correo electrónico"),
    "visit": ("visita", "presencial", "oficina", "tienda", "in person"),
    "letter": ("carta", "correo postal", "postal", "fax"),
    "chat": ("whatsapp", "mensajería", "messenger", "im"),
    "web": ("formulario", "web form", "webform", "portal", "online", "internet"),
})
DIRECTION = _vocab({
    "inbound": ("in", "incoming", "entrante", "entrada", "recibida", "recibido"),
    "outbound": ("out", "outgoing", "saliente", "salida", "emitida", "enviada", "enviado"),
})
TYPIFICATION = _vocab({
    "query": ("consulta", "pregunta", "información", "info", "question"),
    "complaint": ("queja",),
    "request": ("solicitud", "petición", "pedido", "trámite"),
    "incident": ("incidencia", "avería", "fallo", "problema", "issue"),
    "claim": ("reclamación", "reclamacion"),
    "other": ("otro", "otros", "otra", "varios"),
})
STATUS = _vocab({
    "new": ("nuevo", "nueva", "open", "abierto", "abierta"),
    "in_progress": ("in progress", "en curso", "en progreso", "en proceso", "en trámite",
                    "working", "asignado", "assigned"),
    "awaiting_customer": ("awaiting customer", "waiting", "pending", "pendiente",
                          "pendiente cliente", "pendiente del cliente", "esperando cliente",
                          "en espera"),
    "resolved": ("resuelto", "resuelta", "solucionado", "solucionada", "solved"),
    "closed": ("cerrado", "cerrada"),
    "cancelled": ("canceled", "cancelado", "cancelada", "anulado", "anulada"),
})
TIER = _vocab({
    "standard": ("estándar", "normal", "básico", "basic", "regular"),
    "gold": ("oro", "premium"),
    "vip": (),
})
AREA = _vocab({
    "technical": ("técnica", "técnico", "soporte", "soporte técnico", "support", "tech", "it"),
    "billing": ("facturación", "factura", "cobros", "pagos", "administración"),
    "commercial": ("comercial", "ventas", "sales"),
    "general": ("otros", "other", "varios"),
})
ROLE = _vocab({
    "agent": ("agente", "operador", "operadora", "teleoperador", "teleoperadora"),
    "supervisor": ("supervisora", "coordinador", "coordinadora", "jefe de equipo"),
    "admin": ("administrator", "administrador", "administradora"),
})
ARTICLE_STATUS = _vocab({
    "draft": ("borrador",),
    "published": ("publicado", "publicada", "publish"),
    "retired": ("retirado", "retirada", "archivado", "archivada", "archived"),
})
BOOLEAN = {
    **{fold(w): True for w in ("true", "yes", "y", "sí", "si", "s", "1", "x", "verdadero", "ok")},
    **{fold(w): False for w in ("false", "no", "n", "0", "falso", "-")},
}


class Coded:
    """A parser for a coded field: any word of its vocabulary (English or Spanish, any
    case/accents), plus the user's value map (``--value``, a profile's ``[values.FIELD]``),
    which is consulted first. Each distinct cell text is resolved once and remembered, so
    a column costs one dict lookup per cell."""

    __slots__ = ("vocabulary", "what", "value_map", "canonical", "seen")

    def __init__(self, vocabulary: dict[str, str], what: str,
                 value_map: dict[str, str] | None = None) -> None:
        self.vocabulary = vocabulary
        self.what = what
        self.value_map = value_map or {}  # folded source → canonical value
        self.canonical = tuple(sorted(set(vocabulary.values())))
        self.seen: dict[str, str] = {}

    def __call__(self, value: Any) -> str:
        if value.__class__ is str:
            found = self.seen.get(value)
            if found is not None:
                return found
        found = self.lookup(value)
        if found is None:
            raise ValueError(_("{value} is not a {what} ({choices})").format(
                value=quoted(value), what=_(self.what), choices=", ".join(self.canonical)))
        if isinstance(value, str) and len(self.seen) < 10_000:
            self.seen[value] = found
        return found

    def lookup(self, value: Any) -> str | None:
        """The canonical value of a cell, or None when neither map knows it."""
        key = fold(as_text(value))
        return self.value_map.get(key) or self.vocabulary.get(key)

    def target(self, value: str) -> str | None:
        """The canonical value a value map's target names (``alta`` → ``high``)."""
        if value in self.canonical:
            return value
        return self.vocabulary.get(fold(value))

    def with_map(self, value_map: dict[str, str]) -> Coded:
        """This parser with ``value_map`` (folded source → canonical) on top."""
        return Coded(self.vocabulary, self.what, {**self.value_map, **value_map})


def choice(vocabulary: dict[str, str], what: str) -> Coded:
    """A parser accepting any word of ``vocabulary`` (see :class:`Coded`); ``what`` names
    the field in a reason, marked with ``N_`` by the caller and translated when shown."""
    return Coded(vocabulary, what)


class Relabel:
    """A free-text field with a value map (``resolution_type``): mapped cells take the
    map's value, the others are kept as they are."""

    __slots__ = ("value_map",)

    def __init__(self, value_map: dict[str, str]) -> None:
        self.value_map = value_map

    def __call__(self, value: Any) -> str:
        text = as_text(value)
        return self.value_map.get(fold(text), text)


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    found = BOOLEAN.get(fold(as_text(value)))
    if found is None:
        raise ValueError(_("{value} is not yes/no").format(value=quoted(value)))
    return found


def integer(value: Any) -> int:
    text = as_text(value).strip()
    try:
        number = float(text) if "." in text else int(text)
    except ValueError:
        raise ValueError(_("{value} is not a whole number").format(value=quoted(value))) from None
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError(_("{value} is not a whole number").format(value=quoted(value)))
        number = int(number)
    if number < 0:
        raise ValueError(_("{value} is negative").format(value=quoted(value)))
    if number > 2**31 - 1:
        raise ValueError(_("{value} is too large").format(value=quoted(value)))
    return number


_FLOAT_ID = re.compile(r"^(-?\d+)\.0+$")


def identifier(value: Any) -> str:
    """An id as text; a whole number a spreadsheet turned into a float (``1234.0``, or a
    number cell) is the number (``1234``)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = as_text(value).strip()
    whole = _FLOAT_ID.match(text)
    return whole.group(1) if whole else text


def rating(value: Any) -> int:
    """A satisfaction rating, 1–5 (``4``, ``4.0``)."""
    try:
        number = integer(value)
    except ValueError:
        raise ValueError(_("{value} is not a rating from 1 to 5").format(
            value=quoted(value))) from None
    if not 1 <= number <= 5:
        raise ValueError(_("{value} is not a rating from 1 to 5").format(value=quoted(value)))
    return number


def seconds(value: Any) -> int:
    """A duration: whole seconds, ``mm:ss``, ``hh:mm:ss`` or ``1h 5m 3s``."""
    if value.__class__ is str and value.isdigit() and len(value) < 10:
        return int(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return integer(value)
    if isinstance(value, time):
        return value.hour * 3600 + value.minute * 60 + value.second
    text = as_text(value).strip()
    if text.isdigit():
        return integer(text)
    clock = _CLOCK.match(text)
    if clock:
        h, m, s = (int(g) if g else 0 for g in clock.groups())
        return _bounded(h * 3600 + m * 60 + s, value)
    units = _UNITS.match(text)
    if units and any(units.groups()):
        h, m, s = (int(g) if g else 0 for g in units.groups())
        return _bounded(h * 3600 + m * 60 + s, value)
    raise ValueError(_("{value} is not a duration (seconds, mm:ss or hh:mm:ss)").format(
        value=quoted(value)))


def _bounded(total: int, value: Any) -> int:
    """A duration the database's integer column holds (2**31 - 1 seconds: 68 years)."""
    if total > 2**31 - 1:
        raise ValueError(_("{value} is too long a duration").format(value=quoted(value)))
    return total


def email_address(value: Any) -> str:
    text = as_text(value).strip()
    if not is_email(text):
        raise ValueError(_("{value} is not an e-mail address").format(value=quoted(value)))
    return text.lower()


def phone_number(value: Any) -> str:
    text = " ".join(as_text(value).split())
    if not _PHONE.match(text) or sum(c.isdigit() for c in text) < 6:
        raise ValueError(_("{value} is not a phone number").format(value=quoted(value)))
    return text


def word_list(value: Any) -> list[str]:
    """``"billing; network"`` or a JSON list → sorted unique words."""
    items = value if isinstance(value, list) else re.split(r"[,;|]", as_text(value))
    return sorted({as_text(i).strip() for i in items if as_text(i).strip()})


class _Implausible(ValueError):
    """A date outside :data:`MIN_YEAR`–:data:`MAX_YEAR` (no other reading is tried)."""


def datetime_parser(zone: tzinfo, *, dayfirst: bool = True,
                    iso_only: bool = False) -> Callable[[Any], datetime]:
    """A parser for instants; naive values are wall-clock times in ``zone``. With
    ``iso_only`` (a profile's ``date_order = "iso"``) day/month dates are refused."""

    def localise(moment: datetime, original: Any) -> datetime:
        if not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise _Implausible(_("{value} is not a plausible date").format(value=quoted(original)))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(UTC)

    offsets: dict[str, str] = {}
    fromiso = datetime.fromisoformat

    def parse(value: Any) -> datetime:
        if value.__class__ is str and len(value) >= 13:  # the common case, inlined: ISO text
            try:
                moment = fromiso(value)
            except ValueError:
                pass
            else:
                if MIN_YEAR <= moment.year <= MAX_YEAR:
                    if moment.tzinfo is not None:
                        return moment.astimezone(UTC)
                    # zone offsets are constant within an hour almost always: parse the
                    # text again with the hour's offset appended (much cheaper than
                    # replace(tzinfo=zone)); hours that contain a transition are skipped
                    hour = value[:13]
                    offset = offsets.get(hour)
                    if offset is None:
                        offset = offsets[hour] = _hour_offset(moment, zone)
                    if offset:
                        return fromiso(value + offset).astimezone(UTC)
                    return moment.replace(tzinfo=zone).astimezone(UTC)
        if isinstance(value, datetime):
            return localise(value, value)
        if isinstance(value, date):
            return localise(datetime.combine(value, time()), value)
        text = as_text(value).strip()
        try:
            return localise(datetime.fromisoformat(text), value)
        except ValueError as exc:
            if isinstance(exc, _Implausible):
                raise
        match = _DMY.match(text)
        if match and iso_only and len(match.group(1)) != 4:
            raise ValueError(_("{value} is not an ISO date (2026-03-01), and the profile's "
                               "date_order is iso").format(value=quoted(value)))
        if match:
            return localise(_from_parts(match.groups(), dayfirst, value), value)
        raise ValueError(_("{value} is not a date (use ISO 2026-03-01 or dd/mm/yyyy)").format(
            value=quoted(value)))

    return parse


def _hour_offset(moment: datetime, zone: tzinfo) -> str:
    """``+01:00`` when ``zone``'s offset is the same all through ``moment``'s hour, else ""."""
    start = moment.replace(minute=0, second=0, microsecond=0, tzinfo=zone)
    end = start.replace(minute=59, second=59, microsecond=999_999)
    first, last = start.utcoffset(), end.utcoffset()
    if first is None or first != last or first.total_seconds() % 60:
        return ""
    minutes = int(first.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _from_parts(groups: tuple[str | None, ...], dayfirst: bool, original: Any) -> datetime:
    a, b, c, hh, mm, ss, frac = groups
    assert a is not None and b is not None and c is not None
    if len(a) == 4:  # yyyy/mm/dd
        year, month, day = int(a), int(b), int(c)
    else:
        first, second, year = int(a), int(b), int(c)
        if len(c) <= 2:
            year += 2000 if year < 70 else 1900
        if first > 12 >= second:
            day, month = first, second
        elif second > 12 >= first:
            month, day = first, second
        elif dayfirst:
            day, month = first, second
        else:
            month, day = first, second
    try:
        return datetime(
            year,
            month,
            day,
            int(hh or 0),
            int(mm or 0),
            int(ss or 0),
            int((frac or "0").ljust(6, "0")),
        )
    except ValueError:
        raise ValueError(_("{value} is not a valid date").format(value=quoted(original))) from None
