"""Supervisor view: queues with load and SLA health, agents with status and WIP against
capacity, the SLA clock (when it last ran, by whom, whether it is late) with the open
escalated and inactive cases, and the cases of the highlighted queue or agent. Supervisors
and admins only.

Keys: ``a`` assign the selected case to an agent, ``y`` yank it back to its home queue,
``t`` transfer it to another queue, ``q``/``g`` focus the queues/agents, Enter open the case.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Static

from casedesk.config import DEFAULT_TICK_SECONDS
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.localformat import day_month_time
from casedesk.plain import cell
from casedesk.screens import messages
from casedesk.screens.bulk import BULK_BINDINGS, BulkActions
from casedesk.screens.inbox import PAGE, count_text
from casedesk.screens.modals import ChoicePrompt, ConfirmPrompt
from casedesk.screens.moves import CaseMoves
from casedesk.services.queries import board, reads
from casedesk.services.queries.views import AgentLoad, CaseRow, Page, QueueLoad
from casedesk.services.workflow import transitions
from casedesk.widgets.case_table import CaseTable
from casedesk.widgets.clock_panel import ClockPanel
from casedesk.widgets.footer import DeskFooter

#: Seconds between two reads of the clock's line while nothing changes (to see it late).
CLOCK_RECHECK = 15
_STATUS_STYLE = {"available": "green", "busy": "yellow", "away": "dim", "offline": "dim"}


def load_bar(wip: int, capacity: int, width: int = 10) -> Text:
    """``██████░░░░ 6/10`` coloured by how full the bin is."""
    share = wip / capacity if capacity else (1.0 if wip else 0.0)
    filled = min(width, round(share * width))
    style = "red" if share > 1 else "yellow" if share >= 0.8 else "green"
    return Text.assemble(("█" * filled, style), ("░" * (width - filled), "dim"),
                         f" {wip}/{capacity}")


def presence_text(status: str, since: datetime | None, now: datetime, tz: tzinfo) -> str:
    """``away 10:42`` (since when; the day too when it was not today); just the status
    when nobody recorded when it changed."""
    word = label("agent_status", status)
    if since is None:
        return word
    local = since.astimezone(tz)
    shown = (local.strftime("%H:%M") if local.date() == now.astimezone(tz).date()
             else day_month_time(local))
    return f"{word} {shown}"


class SupervisorScreen(BulkActions, CaseMoves):
    """Queues and agents at a glance; assign, yank and transfer."""

    LABEL = N_("Supervisor")
    NO_SELECTION = N_("no case selected: pick one in the cases list")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "assign", "Assign", id="sup-assign"),
        Binding("y", "yank", "Yank", id="sup-yank"),
        Binding("t", "transfer", "Transfer", id="sup-transfer"),
        Binding("q", "focus_queues", "Queues", id="sup-queues"),
        Binding("g", "focus_agents", "Agents", id="sup-agents"),
        Binding("c", "focus_cases", "Cases", id="sup-cases", show=False),
        Binding("r", "app.go('rules')", "Routing rules", id="sup-rules", show=False),
        Binding("o", "app.go('reports')", "Reports", id="sup-reports", show=False),
        *BULK_BINDINGS,
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queues: list[QueueLoad] = []
        self.agents: list[AgentLoad] = []
        #: ("queue", name) or ("agent", login): whose cases the bottom table shows.
        self.scope: tuple[str, str] | None = None
        self._epoch = 0
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="sup-top"):
            with Vertical(id="sup-queues-box"):
                yield Static(_("Queues"), classes="pane-title")
                yield DataTable(id="sup-queues", cursor_type="row")
            with Vertical(id="sup-agents-box"):
                yield Static(_("Agents"), classes="pane-title")
                yield DataTable(id="sup-agents", cursor_type="row")
        yield Static("", id="sup-waits")
        yield ClockPanel(id="sup-clock")
        yield Static("", id="sup-cases-title", classes="pane-title")
        yield CaseTable(
            id="sup-cases",
            columns=("due", "case", "title", "status", "priority", "severity", "queue", "owner"),
            now=self.now,
            tz=self.tz,
        )
        yield DeskFooter()

    def on_mount(self) -> None:
        queues = self.query_one("#sup-queues", DataTable)
        for key, name, width in (("queue", _("Queue"), 11), ("waiting", _("Waiting"), 8),
                                 ("new", _("New"), 7), ("warning", _("Warn"), 6),
                                 ("breached", _("Brch"), 7), ("staff", _("Avail"), 5)):
            queues.add_column(name, key=key, width=width)
        agents = self.query_one("#sup-agents", DataTable)
        for key, name, width in (("agent", _("Agent"), 15), ("status", _("Status since"), 15),
                                 ("load", _("WIP / capacity"), 16), ("breached", _("Brch"), 5)):
            agents.add_column(name, key=key, width=width)
        queues.focus()

    @property
    def cases(self) -> CaseTable:
        return self.query_one("#sup-cases", CaseTable)

    def bulk_table(self) -> CaseTable:
        return self.cases

    # --- loading ------------------------------------------------------------------------

    def refresh_data(self) -> None:
        self.load(
            "sup-queues",
            partial(board.queue_loads, self.desk, viewer=self.actor),
            then=self._show_queues,
            busy=None if self.queues else self.query_one("#sup-queues", DataTable),
            coalesce=True,
        )
        self.load(
            "sup-agents",
            partial(board.agent_loads, self.desk, viewer=self.actor),
            then=self._show_agents,
            busy=None if self.agents else self.query_one("#sup-agents", DataTable),
        )
        if self.scope is not None:
            self.load_cases(keep=True)
        self.load_clock(flagged=True)

    def load_clock(self, *, flagged: bool) -> None:
        """The SLA clock's line, and (``flagged``) its escalated and inactive lists."""
        panel = self.query_one("#sup-clock", ClockPanel)
        self.load("sup-clock", lambda: board.clock_status(
                      self.desk, tick_seconds=DEFAULT_TICK_SECONDS, tz=self.tz()),
                  then=panel.show_status)
        if flagged:
            self.load("sup-flagged", partial(board.flagged_cases, self.desk, limit=5,
                                            viewer=self.actor),
                      then=panel.show_flagged, coalesce=True)

    def _show_queues(self, loads: list[QueueLoad]) -> None:
        rebuild = [q.name for q in loads] != [q.name for q in self.queues]
        self.queues = loads
        table = self.query_one("#sup-queues", DataTable)
        if rebuild:
            table.clear()
        for q in loads:
            cells = {
                "queue": cell(q.name),
                "waiting": count_text(q.waiting),
                "new": count_text(q.new, q.new_capped),
                "warning": Text(count_text(q.warning, q.warning_capped),
                                style="bold yellow" if q.warning else "dim"),
                "breached": Text(count_text(q.breached), style="bold red" if q.breached else "dim"),
                "staff": f"{q.available}/{q.members}",
            }
            if rebuild:
                table.add_row(*cells.values(), key=q.name)
            else:
                for column, value in cells.items():
                    table.update_cell(q.name, column, value)
        self._show_waits(loads)
        if self.scope is None and loads:
            self.scope = ("queue", loads[0].name)
            self.load_cases(keep=False)

    def _show_agents(self, loads: list[AgentLoad]) -> None:
        rebuild = [a.login for a in loads] != [a.login for a in self.agents]
        self.agents = loads
        table = self.query_one("#sup-agents", DataTable)
        if rebuild:
            table.clear()
        for a in loads:
            cells = {
                "agent": cell(a.name),
                "status": Text(presence_text(a.status, a.status_at, self.now(), self.tz()),
                               style=_STATUS_STYLE.get(a.status, "")),
                "load": load_bar(a.wip, a.capacity),
                "breached": Text(str(a.breached), style="bold red" if a.breached else "dim"),
            }
            if rebuild:
                table.add_row(*cells.values(), key=a.login)
            else:
                for column, value in cells.items():
                    table.update_cell(a.login, column, value)

    def _show_waits(self, loads: list[QueueLoad]) -> None:
        """Under the tables: why cases wait in queues whose strategy assigns them."""
        lines = [f"{q.name} ({label('strategy', q.strategy)}): {q.wait_reason}"
                 for q in loads if q.wait_reason]
        waits = self.query_one("#sup-waits", Static)
        waits.display = bool(lines)
        waits.update(cell(_("Why cases wait: {reasons}").format(reasons=" · ".join(lines)))
                     if lines else "")

    def load_cases(self, *, keep: bool) -> None:
        """The highlighted queue's waiting cases (paged) or the highlighted agent's bin."""
        if self.scope is None:
            return
        self._epoch += 1
        epoch = self._epoch
        kind, name = self.scope
        table = self.cases
        if not keep:  # another queue or agent: nothing of the old list can be acted on
            table.clear_rows()
        title = self.query_one("#sup-cases-title", Static)
        if kind == "queue":
            title.update(cell(_("Waiting in queue {queue} (a assign · t transfer)")
                              .format(queue=name)))
            limit = min(max(PAGE, len(table.rows_held)), 2000) if keep else PAGE
        else:
            agent = next((a for a in self.agents if a.login == name), None)
            title.update(cell(_("In {agent}'s bin (a assign · y yank)")
                              .format(agent=agent.name if agent else name)))
            limit = 0

        def show(result: tuple[Page | list[CaseRow], dict]) -> None:
            if epoch == self._epoch:
                rows, warns = result
                table.set_rows(rows, warn_at=warns)

        self.load(
            "sup-cases",
            partial(self._fetch, kind, name, None, limit),
            then=show,
            busy=None if keep else table,
        )

    def _fetch(
        self, kind: str, name: str, after: tuple | None, limit: int
    ) -> tuple[Page | list[CaseRow], dict]:
        """Runs in a worker: a queue page or an agent's bin, with warning times."""
        rows: Page | list[CaseRow]
        if kind == "queue":
            rows = reads.inbox(self.desk, name, after=after, limit=limit)
            ids = [r.id for r in rows.rows]
        else:
            rows = board.agent_cases(self.desk, name)
            ids = [r.id for r in rows]
        warns = board.warn_times(self.desk, ids)
        return rows, {cid: w.nearest() for cid, w in warns.items()}

    @on(CaseTable.NeedMore, "#sup-cases")
    def _more(self, event: CaseTable.NeedMore) -> None:
        table = event.table
        if self.scope is None or self.scope[0] != "queue" or table.next_after is None:
            table.fetching = False
            return
        epoch = self._epoch

        def show(result: tuple[Page | list[CaseRow], dict]) -> None:
            rows, warns = result
            if epoch != self._epoch or not isinstance(rows, Page):
                table.fetching = False
                return
            table.append_page(rows, warn_at=warns)

        self.load(
            "sup-more",
            partial(self._fetch, "queue", self.scope[1], table.next_after, PAGE),
            then=show,
        )

    def tick(self) -> None:
        self.cases.tick()
        self._ticks += 1
        if self._ticks % CLOCK_RECHECK == 0:  # a clock that stopped writes nothing
            self.load_clock(flagged=False)

    # --- selection ----------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#sup-queues")
    def _queue_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row or event.row_key is None:
            return
        scope = ("queue", str(event.row_key.value))
        if event.data_table.has_focus and scope != self.scope:
            self.scope = scope
            self.load_cases(keep=False)

    @on(DataTable.RowHighlighted, "#sup-agents")
    def _agent_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row or event.row_key is None:
            return
        scope = ("agent", str(event.row_key.value))
        if event.data_table.has_focus and scope != self.scope:
            self.scope = scope
            self.load_cases(keep=False)

    def on_descendant_focus(self, event: object) -> None:
        """Focusing the queues or agents table shows the cases of its highlighted row."""
        focused = self.focused
        if not isinstance(focused, DataTable) or isinstance(focused, CaseTable):
            return
        if focused.id not in ("sup-queues", "sup-agents") or focused.row_count == 0:
            return
        key = focused.coordinate_to_cell_key(focused.cursor_coordinate).row_key.value
        scope = ("queue" if focused.id == "sup-queues" else "agent", str(key))
        if scope != self.scope:
            self.scope = scope
            self.load_cases(keep=False)

    @on(DataTable.RowSelected, "#sup-queues")
    @on(DataTable.RowSelected, "#sup-agents")
    def _to_cases(self, event: DataTable.RowSelected) -> None:
        self.cases.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers what applies to the highlighted case: yank only a case in
        somebody's bin, transfer only a case waiting in a queue, assign only an open one."""
        if action not in ("assign", "yank", "transfer"):
            return True
        tables = self.query("#sup-cases")
        row = tables.first(CaseTable).current() if tables else None
        if row is None:
            return True  # pressed, it says that no case is selected
        if action == "yank":
            return row.owner is not None
        if action == "transfer":
            return row.owner is None
        return row.status in ("new", "in_progress", "awaiting_customer")

    @on(CaseTable.Highlighted, "#sup-cases")
    def _case_highlighted(self, event: CaseTable.Highlighted) -> None:
        self.refresh_bindings()

    @on(CaseTable.Selected, "#sup-cases")
    def _open(self, event: CaseTable.Selected) -> None:
        self.post_message(messages.OpenCase(event.row.label))

    # --- actions ------------------------------------------------------------------------

    def action_assign(self) -> None:
        """Put the selected case into a named agent's bin."""
        row = self.selected_case()
        if row is None:
            return
        choices = [
            (f"{a.name} ({label('agent_status', a.status)}, {a.wip}/{a.capacity})", a.login)
            for a in self.agents
            if a.login != row.owner
        ]

        self.write_from(
            ChoicePrompt(_("Assign {case} to").format(case=row.label), choices),
            lambda login: transitions.assign(self.desk, self.actor, row.label, login),
            done=lambda c: _("{case} assigned to {agent}").format(case=c.label,
                                                                 agent=c.owner_name),
        )

    def action_yank(self) -> None:
        """Pull the highlighted case out of its agent's bin, back to its home queue, once
        the supervisor has said yes (the agent may be working on it)."""
        row = self.selected_case()
        if row is None:
            return
        who = row.owner_name or row.owner
        question = (_("Yank {case} out of {agent}'s bin?") if who
                    else _("Yank {case} back to its queue?")).format(case=row.label, agent=who)
        detail = (_("{title} goes back to queue {queue}; the agent loses it.") if row.queue
                  else _("{title} goes back to its queue.")).format(title=row.title,
                                                                   queue=row.queue)

        def answered(yes: bool | None) -> None:
            if yes:
                self.operate(partial(transitions.yank, self.desk, self.actor, row.label),
                             done=lambda c: _("{case} yanked back to queue {queue}").format(
                                 case=c.label, queue=c.queue))

        self.app.push_screen(ConfirmPrompt(question, detail, yes=_("Yank")), answered)

    def action_transfer(self) -> None:
        """Move the selected waiting case to another queue."""
        row = self.selected_case()
        if row is not None:
            self.transfer_case(row, [q.name for q in self.queues])

    def action_focus_queues(self) -> None:
        self.query_one("#sup-queues", DataTable).focus()

    def action_focus_agents(self) -> None:
        self.query_one("#sup-agents", DataTable).focus()

    def action_focus_cases(self) -> None:
        self.cases.focus()
