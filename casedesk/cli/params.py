"""What a person types on the command line, checked before it reaches a service.

Every number, date, duration and fixed-vocabulary value the CLI takes goes through one
of these parsers (typer's ``parser=``), so nothing out of range reaches the database
(an ``OverflowError`` on SQLite beyond 64 bits, "integer out of range" on PostgreSQL
beyond 2³¹ − 1). The exit codes follow the README:

- **1, bad input** (:class:`ValidationError`): a value of the right kind that cannot be
  accepted — a case number that is not one or is beyond the largest a case can have, a
  count out of range, a date that is not a date or too far away, a duration too long.
- **2, usage** (:func:`usage_line`): the command line itself is wrong — an unknown
  command or flag, a missing argument, a value outside an option's fixed list
  (``--status bogus``: the message lists the valid ones), text the terminal could not
  encode (lone surrogates) or a NUL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import typer

from casedesk.errors import ValidationError
from casedesk.i18n import N_, _
from casedesk.textsafe import one_line

#: The largest record number or id the desk stores: PostgreSQL ``bigint``. Case numbers,
#: article numbers and ids beyond it cannot exist, so they are refused as bad input.
MAX_ID = 2**63 - 1
#: The latest a due time may be, from now; also the longest a typed duration may be.
MAX_AHEAD = timedelta(days=3660)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)

_CASE = re.compile(r"^\s*(?:cs-?)?0*(\d+)\s*$", re.IGNORECASE)
_ARTICLE = re.compile(r"^\s*(?:kb-?)?0*(\d+)\s*$", re.IGNORECASE)
_INT = re.compile(r"^\s*[+-]?\d+\s*$")


def _shown(value: object) -> str:
    """A typed value as it goes into an error line: quoted, one line, controls visible."""
    text = one_line(str(value))
    return repr(text if len(text) <= 60 else text[:57] + "…")


#: what a number names: the words when it is not one, and when it is out of range
_NUMBER_WORDS = {
    "CS": (N_("{value} is not a case number (expected e.g. CS-000123)"),
           N_("{value}: no such case (case numbers go from 1 to {largest})")),
    "KB": (N_("{value} is not an article number (expected e.g. KB-000123)"),
           N_("{value}: no such article (article numbers go from 1 to {largest})")),
}


def _label(pattern: re.Pattern[str], prefix: str, value: Any) -> str:
    not_one, out_of_range = _NUMBER_WORDS[prefix]
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        match = pattern.match(str(value))
        if not match:
            raise ValidationError(_(not_one).format(value=_shown(value)))
        number = int(match.group(1))
    if not 0 < number <= MAX_ID:
        raise ValidationError(_(out_of_range).format(value=_shown(value), largest=f"{MAX_ID:,}"))
    return f"{prefix}-{number:06d}"


def case_number(value: Any) -> str | None:
    """``CS-000123`` from ``CS-000123``, ``cs-123`` or ``123``; None stays None."""
    if value is None:
        return None
    return _label(_CASE, "CS", value)


def article_number(value: Any) -> str | None:
    """``KB-000042`` from ``KB-000042``, ``kb-42`` or ``42``; None stays None."""
    if value is None:
        return None
    return _label(_ARTICLE, "KB", value)


def integer(flag: str, low: int, high: int) -> Callable[[Any], int | None]:
    """A parser for a whole number between ``low`` and ``high`` (both included)."""

    def parse(value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and _INT.match(value))
        ):
            raise ValidationError(_("{flag} {value} is not a whole number").format(
                flag=flag, value=_shown(value)))
        number = int(value)
        if not low <= number <= high:
            raise ValidationError(_("{flag} {value} is out of range: give {low} to {high}").format(
                flag=flag, value=_shown(value), low=low, high=f"{high:,}"))
        return number

    return parse


def record_id(flag: str) -> Callable[[Any], int | None]:
    """A parser for a database id (a task, contact, interaction …): 1 to :data:`MAX_ID`."""
    return integer(flag, 1, MAX_ID)


def due_time(value: Any) -> datetime | None:
    """An ISO 8601 time (local when it names no zone), between 1970 and the far future.

    Whether it lies in the future (and not beyond :data:`MAX_AHEAD`) is checked against
    the desk's clock by :func:`check_ahead`.
    """
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            _("--due {value} is not a time like 2026-03-02T16:00").format(value=_shown(value))
        ) from None
    try:
        aware = parsed if parsed.tzinfo else parsed.astimezone()
        aware.astimezone(UTC)
        if aware < _EARLIEST or aware.year > 9000:
            raise OverflowError
    except (OverflowError, ValueError, OSError):
        raise ValidationError(
            _("--due {value} is out of range").format(value=_shown(value))) from None
    return aware


def check_ahead(flag: str, due: datetime | None, now: datetime) -> None:
    """Refuse a due time more than :data:`MAX_AHEAD` after ``now``."""
    if due is not None and due - now > MAX_AHEAD:
        raise ValidationError(_("{flag} {day} is too far away: at most {days} days").format(
            flag=flag, day=due.date().isoformat(), days=MAX_AHEAD.days))


def duration(flag: str) -> Callable[[Any], str | None]:
    """A parser for a business-time duration (``4h``, ``1d``, ``1h30m``): positive and at
    most :data:`MAX_AHEAD`. Returns the text unchanged for the service to read."""
    from casedesk.services.sla.policy_files import parse_duration

    def parse(value: Any) -> str | None:
        if value is None:
            return None
        span: timedelta = parse_duration(str(value), flag)
        if span <= timedelta(0):
            raise ValidationError(_("{flag} {value}: a duration must be positive").format(
                flag=flag, value=_shown(value)))
        return str(value)

    return parse


def choice(flag: str, values: Iterable[str]) -> Callable[[Any], str | None]:
    """A parser for a value from a fixed list (case-insensitive); anything else is a usage
    error (exit 2) that lists the valid values."""
    allowed = [str(v) for v in values]
    lookup = {v.lower(): v for v in allowed}

    def parse(value: Any) -> str | None:
        if value is None:
            return None
        found = lookup.get(str(value).strip().lower())
        if found is None:
            raise typer.BadParameter(_("{value} is not one of: {choices}").format(
                value=_shown(value), choices=", ".join(allowed)))
        return found

    parse.__doc__ = f"One of {', '.join(allowed)}."
    return parse


_NUMBERISH = re.compile(r"^\s*(?:cs-?|kb-?)?[0-9][0-9 ]*\s*$", re.IGNORECASE)


def search_text(value: Any) -> str | None:
    """Search words as typed; a bare number beyond 64 bits (no case number or phone is that
    long) is refused, as the search would compare it with the numbers it stores."""
    if value is None:
        return None
    text = str(value)
    if _NUMBERISH.match(text):
        digits = re.sub(r"[^0-9]", "", text)
        if int(digits) > 2**63 - 1:
            raise ValidationError(_(
                "{value} is too long a number to search for: case numbers and phone numbers "
                "have at most 15 digits").format(value=_shown(value)))
    return text


def time_zone(value: Any) -> str | None:
    """An IANA time zone name (``Europe/Madrid``); anything else is a usage error."""
    if value is None:
        return None
    import zoneinfo

    name = str(value).strip()
    try:
        if not name or len(name) > 64:
            raise ValueError(name)
        zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        raise typer.BadParameter(
            _("unknown time zone {value}: use a name like Europe/Madrid or UTC").format(
                value=_shown(value))
        ) from None
    return name


def text_encoding(value: Any) -> str | None:
    """A text encoding Python knows (``utf-8``, ``cp1252`` …); codecs that are not text
    encodings (``rot13``, ``zlib``) and unknown names are usage errors."""
    if value is None:
        return None
    import codecs

    name = str(value).strip()
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise typer.BadParameter(
            _("unknown text encoding {value}: try utf-8, cp1252 or latin-1").format(
                value=_shown(value))
        )
    return name


def argv_problem(argv: list[str]) -> str | None:
    """A one-line usage error when an argument cannot be text for the database: a lone
    surrogate (bytes the terminal's encoding could not decode) or a NUL."""
    for position, item in enumerate(argv, 1):
        if "\x00" in item:
            return "casedesk: " + _("argument {position} holds a NUL character").format(
                position=position)
        if any("\ud800" <= ch <= "\udfff" for ch in item):
            return "casedesk: " + _(
                "argument {position} ({value}) is not valid text: it holds bytes this "
                "terminal's encoding (UTF-8 expected) cannot read"
            ).format(position=position, value=_shown(item))
    return None


def usage_line(exc: Any) -> str:
    """One line for a click usage error (bad flag, missing argument, bad choice)."""
    from casedesk.cli.library_words import usage_message

    message = " ".join(usage_message(exc).split()).replace("Value error, ", "")
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", "") or "casedesk"
    return one_line("casedesk: " + _("{message} (see `{command} --help`)").format(
        message=message, command=path))


def comma_list(value: str | None) -> list[str]:
    """``"a, b,,c"`` → ``["a", "b", "c"]`` (``--queues``, ``--skills``, ``--members`` …)."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]
