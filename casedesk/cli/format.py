"""Rich renderings of the read models for the terminal.

Every value that came from outside (titles, names, descriptions, notes, queue names …)
goes into a table as :func:`casedesk.plain.cell` / :func:`plain`: Rich parses ``str``
cells as markup, so one ``[/]`` in a title would crash the listing for everybody.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from rich.console import Console
from rich.table import Table

from casedesk.i18n import N_, _
from casedesk.labels import label
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
    """A time for a table or a line: ``2026-12-01 14:05 CET`` (``01/12/2026 14:05 CET`` in
    Spanish) — in this machine's zone (the ``TZ`` environment variable chooses another), the
    zone always named. JSON output keeps ISO 8601 with the offset instead."""
    if value is None or value >= FAR_FUTURE:
        return "—"
    from casedesk.localformat import day_time

    local = value.astimezone()
    return f"{day_time(local)} {zone_label(local)}"


def day(value: date) -> str:
    """A day for a table or a line: ``2026-12-01`` / ``01/12/2026``."""
    from casedesk.localformat import day as local_day

    return local_day(value)


def period(starts: date | None, ends: date | None) -> str:
    """A contract's or a line's dates as people read them: ``2026-01-01 – 2026-12-31``,
    ``from 2026-01-01``, ``until 2026-12-31`` or ``no end date``."""
    if starts and ends:
        return f"{day(starts)} – {day(ends)}"
    if starts:
        return _("from {day}").format(day=day(starts))
    if ends:
        return _("until {day}").format(day=day(ends))
    return _("no end date")


def say(console: Console, *parts: object) -> None:
    """Print one line made of program text and outside values, all literal."""
    console.print(cell("".join("" if p is None else str(p) for p in parts)))


#: columns a narrow terminal drops first, in this order; the number, title, status and
#: due time always stay whole
_DROPPABLE = ("sev", "owner", "prio", "queue")
_TITLE_MIN = 16
#: the headings of :func:`cases_table` (short: a case list is narrow)
_CASE_COLUMNS = {
    "number": N_("number"), "title": N_("title"), "status": N_("status"), "prio": N_("prio"),
    "sev": N_("sev"), "queue": N_("queue"), "owner": N_("owner"), "due": N_("due"),
}
_TITLE_FLOOR = 5


def cases_table(rows: list[CaseRow], title: str | None = None, width: int | None = None) -> Table:
    """Cases as a table that fits ``width`` (default: the terminal's): columns other than
    the title keep their whole values and the title takes what is left; where even that
    does not fit, severity, owner, priority and queue are left out, in that order."""
    from rich import box

    columns = ("number", "title", "status", "prio", "sev", "queue", "owner", "due")
    cells = [dict(zip(columns, (r.label, r.title, label("status", r.status),
                                label("priority", r.priority), label("severity", r.severity),
                                r.queue or "—", r.owner or "—", when(r.due_at)), strict=True))
             for r in rows]
    heads = {name: _(_CASE_COLUMNS[name]) for name in columns}
    widths = {name: max([len(heads[name]), *(len(c[name]) for c in cells)])
              for name in columns}
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
            table.add_column(heads[name], width=min(title_width, widths["title"]),
                             overflow="ellipsis", no_wrap=True)
        else:
            table.add_column(heads[name], width=widths[name], no_wrap=True)
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
    tier = f" [{label('tier', c.account_tier)}]" if c.account_tier else ""
    rows = [
        (_("case"), f"{c.label}  {c.title}"),
        (_("status"), label("status", c.status)),
        (_("priority / severity"),
         f"{label('priority', c.priority)} / {label('severity', c.severity)}"),
        (_("queue"), c.queue or "—"),
        (_("owner"), f"{c.owner_name} ({c.owner})" if c.owner else _("— (in queue)")),
        (_("customer"), f"{c.contact or '—'}" + (f" · {c.account}{tier}" if c.account else "")),
        (_("contract line"), c.contract_line or "—"),
        (_("parent"), c.parent or "—"),
        (_("children"), ", ".join(c.children) or "—"),
        (_("SLA policy"), c.sla_policy or "—"),
        (
            _("first response due"),
            when(c.first_response_due) + (
                " " + _("(met {when})").format(when=when(c.first_response_at))
                if c.first_response_at else ""
            ),
        ),
        (_("resolution due"), when(c.resolution_due)),
        (_("created"), when(c.created_at)),
        (_("version"), str(c.version)),
    ]
    long_text: list[tuple[str, str]] = []
    if c.resolution_type:
        long_text.append((_("resolution"), f"{c.resolution_type}: {c.resolution_notes}"))
    if c.description:
        long_text.append((_("description"), c.description))
    for k, v in rows:
        table.add_row(k, cell(v))
    for k, v in long_text:
        table.add_row(k, plain(v))
    return table


def timeline_table(entries: list[TimelineEntry]) -> Table:
    table = Table(show_header=True)
    table.add_column(_("when"), no_wrap=True)
    table.add_column(_("who"), no_wrap=True)
    table.add_column(_("what"))
    for e in entries:
        table.add_row(when(e.at), cell(e.actor or _("system")), plain(e.text))
    return table


def agents_table(agents: list[AgentView]) -> Table:
    table = Table()
    columns = [N_("login"), N_("name"), N_("role"), N_("status"), N_("wip"), N_("capacity"),
               N_("skills"), N_("queues")]
    teams = any(a.team for a in agents)
    for col in [*columns, N_("team")] if teams else columns:
        table.add_column(_(col))
    for a in agents:
        table.add_row(
            cell(a.login),
            cell(a.name),
            cell(label("role", a.role)),
            cell(label("agent_status", a.status) if a.active else _("deactivated")),
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
    columns = [N_("queue"), N_("area"), N_("strategy"), N_("waiting"), N_("members")]
    for col in [*columns, N_("team")] if teams else columns:
        table.add_column(_(col))
    for q in queues:
        table.add_row(cell(q.name), cell(label("area", q.area)),
                      cell(label("strategy", q.strategy)), str(q.waiting),
                      cell(", ".join(q.members)), *([cell(q.team or "")] if teams else []))
    return table


#: an SLA clock's state (``ClockState``) as people read it
_CLOCK_STATES = {"ok": N_("on time"), "warning": N_("warning"), "breached": N_("breached"),
                 "paused": N_("paused"), "met": N_("met")}


def clock_state(code: str | None) -> str:
    """``met`` → "met" / "cumplido"; an unknown code is shown as it is."""
    if code is None:
        return ""
    words = _CLOCK_STATES.get(code)
    return _(words) if words else code
