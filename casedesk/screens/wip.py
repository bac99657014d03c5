"""My WIP bin: the cases I own, nearest deadline first, with live countdowns and status keys."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Header, Static

from casedesk.i18n import N_, _, ngettext
from casedesk.screens import messages
from casedesk.screens.actions import CaseActions, status_bindings
from casedesk.screens.applies import case_key_applies
from casedesk.screens.bulk import BULK_BINDINGS, BulkActions
from casedesk.services.queries import board, reads
from casedesk.services.queries.views import CaseRow
from casedesk.services.sla.clocks import ClockState
from casedesk.widgets.case_table import CaseTable
from casedesk.widgets.footer import DeskFooter
from casedesk.widgets.sla import row_state


class WipScreen(BulkActions, CaseActions):
    """The agent's bin; Enter opens a case, the status keys act on the selected one."""

    LABEL = N_("My WIP bin")
    #: shown only where they apply to the highlighted case (check_action)
    BINDINGS: ClassVar[list[BindingType]] = status_bindings(
        {"start", "wait", "resume", "resolve", "close_case", "dispatch"}
    ) + BULK_BINDINGS

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="wip-status", classes="status-line")
        yield CaseTable(
            id="wip-cases",
            columns=("due", "case", "title", "status", "priority", "severity", "contact",
                     "queue"),
            now=self.now,
            tz=self.tz,
        )
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#wip-cases", CaseTable).focus()

    @property
    def cases(self) -> CaseTable:
        return self.query_one("#wip-cases", CaseTable)

    def bulk_table(self) -> CaseTable:
        return self.cases

    def refresh_data(self) -> None:
        table = self.cases
        self.load("wip", self._fetch, then=self._show, busy=None if table.loaded_once else table)

    def _fetch(self) -> tuple[list[CaseRow], dict]:
        rows = reads.wip_bin(self.desk, self.actor.id)
        warns = board.warn_times(self.desk, [r.id for r in rows])
        return rows, {cid: w.nearest() for cid, w in warns.items()}

    def _show(self, result: tuple[list[CaseRow], dict]) -> None:
        rows, warns = result
        self.cases.set_rows(rows, warn_at=warns)
        self._update_status()

    def _update_status(self) -> None:
        rows = self.cases.rows_held
        now = self.now()
        states = [row_state(r, now) for r in rows]
        breached = states.count(ClockState.breached)
        waiting = sum(1 for r in rows if r.status == "awaiting_customer")
        text = Text(ngettext("{n} case in your bin", "{n} cases in your bin", len(rows))
                    .format(n=len(rows)))
        if breached:
            text.append(" · ").append(
                ngettext("{n} breached", "{n} breached", breached).format(n=breached),
                style="red")
        if waiting:
            text.append(" · " + ngettext("{n} waiting for the customer",
                                         "{n} waiting for the customer", waiting)
                        .format(n=waiting))
        if not rows:
            text = Text(_("Your bin is empty: take work from the queue inbox (F3, then n)."))
        self.query_one("#wip-status", Static).update(text)

    def tick(self) -> None:
        self.cases.tick()
        self._update_status()

    def target(self) -> tuple[str, int | None] | None:
        row = self.cases.current()
        return (row.label, None) if row is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers only the keys that apply to the highlighted case."""
        tables = self.query(CaseTable)
        row = tables.first().current() if tables else None
        return case_key_applies(action, row, self.actor.login, self.actor.is_supervisor)

    @on(CaseTable.Highlighted, "#wip-cases")
    def _highlighted(self, event: CaseTable.Highlighted) -> None:
        self.refresh_bindings()

    def after_change(self, case: object) -> None:
        self.refresh_bindings()

    @on(CaseTable.Selected, "#wip-cases")
    def _open(self, event: CaseTable.Selected) -> None:
        self.post_message(messages.OpenCase(event.row.label))
