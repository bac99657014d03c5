"""Dates, times and numbers as the reader's language writes them (Babel's CLDR data).

English keeps the unambiguous ISO day (``2026-12-01 14:05``), Spanish writes the day first
(``01/12/2026 14:05``); weekday and month names, decimal separators and percentages come
from the locale (``lun 1 dic 14:05``, ``12.345,5``, ``94 %``). Times are turned into the
reader's zone by the caller: these functions only write them.
"""

from __future__ import annotations

from datetime import date, datetime, time

from casedesk.i18n import babel_locale, language

_DATE = {"en": "yyyy-MM-dd", "es": "dd/MM/yyyy"}
_SHORT_DATE = {"en": "dd MMM", "es": "dd/MM"}


def day(value: date) -> str:
    """``2026-12-01`` / ``01/12/2026``."""
    from babel.dates import format_date

    return format_date(value, _DATE[language()], locale=babel_locale())


def day_time(value: datetime) -> str:
    """``2026-12-01 14:05`` / ``01/12/2026 14:05`` (no zone: the caller names it)."""
    from babel.dates import format_datetime

    return format_datetime(value, _DATE[language()] + " HH:mm", tzinfo=value.tzinfo,
                           locale=babel_locale())


def short_day(value: date) -> str:
    """A day for a chart's axis: ``01 Dec`` / ``01/12``."""
    from babel.dates import format_date

    return format_date(value, _SHORT_DATE[language()], locale=babel_locale())


def weekday_time(value: datetime) -> str:
    """``Mon 14:05`` / ``lun 14:05``."""
    from babel.dates import format_datetime

    return format_datetime(value, "EEE HH:mm", tzinfo=value.tzinfo, locale=babel_locale())


def weekday_day_time(value: datetime) -> str:
    """``Mon 01 Dec 14:05`` / ``lun 01 dic 14:05``."""
    from babel.dates import format_datetime

    return format_datetime(value, "EEE dd MMM HH:mm", tzinfo=value.tzinfo,
                           locale=babel_locale())


def day_month_time(value: datetime) -> str:
    """``01 Dec 14:05`` / ``01 dic 14:05``."""
    from babel.dates import format_datetime

    return format_datetime(value, "dd MMM HH:mm", tzinfo=value.tzinfo, locale=babel_locale())


def clock_time(value: datetime | time, seconds: bool = False) -> str:
    """``14:05`` (or ``14:05:09``): the same in both languages."""
    return value.strftime("%H:%M:%S" if seconds else "%H:%M")


def number(value: float, digits: int = 0) -> str:
    """``12,345.5`` / ``12.345,5`` with ``digits`` decimals (grouping as the locale does)."""
    from babel.numbers import format_decimal

    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=babel_locale())


def percent(fraction: float, digits: int = 1) -> str:
    """``93.5%`` / ``93,5 %`` for ``0.935``."""
    from babel.numbers import format_percent

    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(fraction, format=pattern, locale=babel_locale())
