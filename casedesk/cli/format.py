"""Rich renderings of the read models for the terminal.

Every value that came from outside (titles, names, descriptions, notes, queue names …)
goes into a table as :func:`casedesk.plain.cell` / :func:`plain`: Rich parses ``str``
cells as markup, so one ``[/]`` in a title would crash the listing for everybody.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from rich.console import Console
from rich.table import Table

from casedesk.plain import cell, plain
from casedesk.services.queries.views import (
    AgentView,
    CaseDetail,
    CaseRow,
    QueueView,
    TimelineEntry,
)
from casedesk.services.sla.clocks import FAR_FUTURE


def zone_label(value: datetime) -> str:
    """The zone of an aware time as people read it: its abbreviation (``CET``, ``UTC``)
    or, where the zone has none, its offset (``+05:30``)."""
    name = value.tzname() or ""
    if name and not name.startswith(("+", "-")) and name.isascii() and name.isalpha():
        return name
    offset = value.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def when(value: datetime | None) -> str:
    """A time for a table or a line: ``2026-12-01 14:05 CET`` — in this machine's zone (the
    ``TZ`` environment variable chooses another), the zone always named. JSON output keeps
    ISO 8601 with the offset instead."""
    if value is None or value >= FAR_FUTURE:
        return "—"
    local = value.astimezone()
    return f"{local:%Y-%m-%d %H:%M} {zone_label(local)}"


def period(starts: date | None, ends: date | None) -> str:
    """A contract's or a line's dates as people read them: ``2026-01-01 – 2026-12-31``,
    ``from 2026-01-01``, ``until 2026-12-31`` or ``no end date``."""
    if starts and ends:
        return f"{starts} – {ends}"
    if starts:
        return f"from {starts}"
    if ends:
        return f"until {ends}"
    return "no end date"


def say(console: Console, *parts: object) -> None:
    """Print one line made of program text and outside values, all literal."""
    console.print(cell("".join("" if p is None else str(p) for p in parts)))


#: columns a narrow terminal drops first, in this order; the number, title, status and
#: due time always stay whole
_DROPPABLE = ("sev", "owner", "prio", "queue")
_TITLE_MIN = 16
_TITLE_FLOOR = 5


def cases_table(rows: list[CaseRow], title: str | None = None, width: int | None = None) -> Table:
    """Cases as a table that fits ``width`` (default: the terminal's): columns other than
    the title keep their whole values and the title takes what is left; where even that
    does not fit, severity, owner, priority and queue are left out, in that order."""
    from rich import box

    columns = ("number", "title", "status", "prio", "sev", "queue", "owner", "due")
    cells = [dict(zip(columns, (r.label, r.title, r.status, r.priority, r.severity,
                                r.queue or "—", r.owner or "—", when(r.due_at)), strict=True))
             for r in rows]
    widths = {name: max([len(name), *(len(c[name]) for c in cells)]) for name in columns}
    shown = list(columns)
    room = width if width is not None else _terminal_width()

    def needed() -> int:  # between two columns: padding, a rule's space, padding
        return sum(widths[c] for c in shown if c != "title") + _TITLE_MIN + 3 * (len(shown) - 1)

    for name in _DROPPABLE:
        if needed() <= room:
            break
        shown.remove(name)
    # the title takes what is left, below its usual minimum too once nothing else can go
    title_width = max(_TITLE_FLOOR, room - needed() + _TITLE_MIN)
    table = Table(title=None if title is None else cell(title), box=box.SIMPLE_HEAD,
                  pad_edge=False, show_edge=False, show_lines=False)
    for name in shown:
        if name == "title":
            table.add_column(name, width=min(title_width, widths["title"]), overflow="ellipsis",
                             no_wrap=True)
        else:
            table.add_column(name, width=widths[name], no_wrap=True)
    for row in cells:
        table.add_row(*(cell(row[name]) for name in shown))
    return table


def _terminal_width() -> int:
    from casedesk.cli.state import console

    return console.width


def case_panel(c: CaseDetail) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("case", f"{c.label}  {c.title}"),
        ("status", c.status),
        ("priority / severity", f"{c.priority} / {c.severity}"),
        ("queue", c.queue or "—"),
        ("owner", f"{c.owner_name} ({c.owner})" if c.owner else "— (in queue)"),
        (
            "customer",
            f"{c.contact or '—'}" + (f" · {c.account} [{c.account_tier}]" if c.account else ""),
        ),
        ("contract line", c.contract_line or "—"),
        ("parent", c.parent or "—"),
        ("children", ", ".join(c.children) or "—"),
        ("SLA policy", c.sla_policy or "—"),
        (
            "first response due",
            when(c.first_response_due)
            + (f" (met {when(c.first_response_at)})" if c.first_response_at else ""),
        ),
        ("resolution due", when(c.resolution_due)),
        ("created", when(c.created_at)),
        ("version", str(c.version)),
    ]
    if c.resolution_type:
        rows.append(("resolution", f"{c.resolution_type}: {c.resolution_notes}"))
    if c.description:
        rows.append(("description", c.description))
    for k, v in rows:
        table.add_row(k, cell(v) if k != "description" and k != "resolution" else plain(v))
    return table


def timeline_table(entries: list[TimelineEntry]) -> Table:
    table = Table(show_header=True)
    table.add_column("when", no_wrap=True)
    table.add_column("who", no_wrap=True)
    table.add_column("what")
    for e in entries:
        table.add_row(when(e.at), cell(e.actor or "system"), plain(e.text))
    return table


def agents_table(agents: list[AgentView]) -> Table:
    table = Table()
    columns = ["login", "name", "role", "status", "wip", "capacity", "skills", "queues"]
    teams = any(a.team for a in agents)
    for col in [*columns, "team"] if teams else columns:
        table.add_column(col)
    for a in agents:
        table.add_row(
            cell(a.login),
            cell(a.name),
            cell(a.role),
            cell(a.status if a.active else "deactivated"),
            str(a.wip),
            str(a.capacity),
            cell(", ".join(a.skills)),
            cell(", ".join(a.queues)),
            *([cell(a.team or "")] if teams else []),
        )
    return table


def queues_table(queues: list[QueueView]) -> Table:
    table = Table()
    teams = any(q.team for q in queues)
    columns = ["queue", "area", "strategy", "waiting", "members"]
    for col in [*columns, "team"] if teams else columns:
        table.add_column(col)
    for q in queues:
        table.add_row(cell(q.name), cell(q.area), cell(q.strategy), str(q.waiting),
                      cell(", ".join(q.members)), *([cell(q.team or "")] if teams else []))
    return table
