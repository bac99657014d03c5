"""How lengths of time are written for people: the one module for every spelling.

Pure functions (no UI, no database). Each spelling has its place and they are kept apart
on purpose, because each reads right where it is shown:

* :func:`countdown` — ``12m 05s``, ``3h 20m``, ``2d 4h`` (signed); business time in
  hours (``40h 00m``): SLA countdowns in lists and the case screen's SLA panel, ticking
  every second.
* :func:`stopwatch` — ``4:05``, ``1:02:03``: the length of a call (call timer, history).
* :func:`hours_minutes` — ``2 h 10 m``, ``45 m``: business time in ``sla explain`` lines.
* :func:`policy_target` — ``40h``, ``1h30m``, ``7d``: an SLA policy's targets (no
  days except whole ones: targets are business time, a "day" would read as a working day).
* :func:`ago` — ``3 s ago``, ``5 min ago``, ``2 h ago``, ``4 d ago``: how long since
  somebody changed a case, in refusal messages.

Words are in the reader's language (``hace 5 min``, ``2 h 10 min``); the compact spellings
(countdown, stopwatch, policy target) are unit symbols read the same in both languages
(``1h 19m``, ``2d 04h``), so a countdown keeps its width in a list column.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from casedesk.i18n import _


def countdown(delta: timedelta, *, days: bool = True) -> str:
    """``12m 05s``, ``3h 20m``, ``2d 4h``; negative (overdue) deltas get a minus sign.
    ``days=False`` for business time: ``40h 00m`` (a "day" would read as a working day)."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    whole_days, rest = divmod(seconds, 86400) if days else (0, seconds)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if whole_days:
        return f"{sign}{whole_days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"


def stopwatch(seconds: int) -> str:
    """``4:05`` (minutes:seconds), or ``1:02:03`` past an hour."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def hours_minutes(delta: timedelta | None) -> str:
    """``2 h 10 m``, ``1 h 05 m``, ``45 m`` (the absolute value, whole minutes)."""
    if delta is None:
        return "—"
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, mins = divmod(minutes, 60)
    if hours:
        return _("{hours} h {minutes} m").format(hours=hours, minutes=f"{mins:02d}")
    return _("{minutes} m").format(minutes=mins)


def policy_target(delta: timedelta | None) -> str:
    """``40h``, ``1h30m``, ``45m``; whole days as ``7d``. Targets are business time, so
    40 hours is not shown as ``1d16h``: a "day" would read as a working day."""
    if delta is None:
        return "—"
    minutes = int(delta.total_seconds() // 60)
    if minutes and minutes % 1440 == 0:
        return f"{minutes // 1440}d"
    hours, mins = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{mins}m" if mins else "") or "0m"


def ago(then: datetime | None, now: datetime) -> str:
    """``3 s ago``, ``5 min ago``, ``2 h ago``, ``4 d ago``."""
    if then is None:
        return ""
    seconds = max(0, int((now - then) / timedelta(seconds=1)))
    if seconds < 60:
        return _("{n} s ago").format(n=seconds)
    if seconds < 3600:
        return _("{n} min ago").format(n=seconds // 60)
    if seconds < 86400:
        return _("{n} h ago").format(n=seconds // 3600)
    return _("{n} d ago").format(n=seconds // 86400)
