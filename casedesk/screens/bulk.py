"""Bulk work on the marked cases of a case list (inbox, WIP bin, supervisor view).

``b`` asks what to do with the marked cases (or the highlighted one when none is marked):
assign, transfer, set the priority, resolve or close; then what it needs (the agent, the
queue, the priority, the resolution, a yes). The service
(:func:`casedesk.services.workflow.bulk.apply_to_many`) changes each case on its own and
says what it did and what it refused and why: that is shown in one notification, and the
refused cases stay marked.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding, BindingType

from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.screens.base import DeskScreen
from casedesk.services.queries import board
from casedesk.services.queries.views import CaseRow
from casedesk.services.workflow import bulk, transitions
from casedesk.widgets.case_table import CaseTable

if TYPE_CHECKING:
    from casedesk.screens.modals import Resolution

#: The bulk key, added to the screens' own bindings.
BULK_BINDINGS: list[BindingType] = [
    Binding("b", "bulk", "Bulk", id="cases-bulk", show=False),
]

#: Operation → what the menu says (translated where shown).
_OPERATIONS: dict[str, str] = {
    "assign": N_("Assign to an agent"),
    "transfer": N_("Transfer to a queue"),
    "priority": N_("Set the priority"),
    "resolve": N_("Resolve"),
    "close": N_("Close"),
}


def bulk_operations(supervisor: bool) -> list[str]:
    """The operations offered: assigning is for supervisors (the service refuses it to
    others anyway); the rest for everybody, refused per case where it does not apply."""
    return [op for op in _OPERATIONS if supervisor or op != "assign"]


def cases_words(n: int) -> str:
    return ngettext("{n} case", "{n} cases", n).format(n=n)


class BulkActions(DeskScreen):
    """A screen whose case list (:meth:`bulk_table`) can be worked on in bulk."""

    def bulk_table(self) -> CaseTable:
        raise NotImplementedError

    def action_bulk(self) -> None:
        """Ask what to do with the marked cases."""
        from casedesk.screens.modals import ChoicePrompt  # loaded when first needed

        table = self.bulk_table()
        rows = [] if table.loading else table.chosen_rows()
        if not rows:
            self.app.notify(_("no case selected"), severity="warning")
            return
        choices = [(_(_OPERATIONS[op]), op) for op in bulk_operations(self.actor.is_supervisor)]
        title = _("What to do with {cases}").format(cases=cases_words(len(rows)))

        def chosen(operation: str | None) -> None:
            if operation:
                self._bulk_chosen(operation, rows)

        self.app.push_screen(ChoicePrompt(title, choices), chosen)

    @work(group="ask", exit_on_error=False)
    async def _bulk_chosen(self, operation: str, rows: list[CaseRow]) -> None:
        """Ask for what the operation needs, then run it."""
        from casedesk.screens.modals import ChoicePrompt, ConfirmPrompt, ResolveForm

        what = cases_words(len(rows))
        run = partial(self._bulk_run, operation, rows)
        if operation == "assign":
            agents = await self.fetch(partial(board.agent_loads, self.desk, viewer=self.actor))
            if agents is None:
                return
            choices = [(f"{a.name} ({a.wip}/{a.capacity})", a.login) for a in agents]
            self.app.push_screen(
                ChoicePrompt(_("Assign {cases} to").format(cases=what), choices),
                lambda login: run(agent=login) if login else None)
        elif operation == "transfer":
            names = await self.fetch(partial(board.queue_names, self.desk))
            if names is None:
                return
            self.app.push_screen(
                ChoicePrompt(_("Transfer {cases} to queue").format(cases=what),
                             [(n, n) for n in names]),
                lambda queue: run(queue=queue) if queue else None)
        elif operation == "priority":
            self.app.push_screen(
                ChoicePrompt(_("Priority of {cases}").format(cases=what),
                             [(label("priority", p), p) for p in ("high", "medium", "low")]),
                lambda priority: run(priority=priority) if priority else None)
        elif operation == "resolve":
            def resolved(value: Resolution | None) -> None:
                if value is not None:
                    run(resolution_type=value.type, notes=value.notes)

            self.app.push_screen(ResolveForm(what, transitions.RESOLUTION_TYPES), resolved)
        elif operation == "close":
            self.app.push_screen(
                ConfirmPrompt(_("Close {cases}?").format(cases=what),
                              _("Only resolved cases are closed; the others are refused."),
                              yes=_("Close")),
                lambda yes: run() if yes else None)

    def _bulk_run(self, operation: str, rows: list[CaseRow], **args: Any) -> None:
        labels = [r.label for r in rows]
        self.operate(partial(bulk.apply_to_many, self.desk, self.actor, labels, operation,
                             **args),
                     then=partial(self._bulk_done, rows))

    def _bulk_done(self, rows: list[CaseRow], report: bulk.BulkReport) -> None:
        """Say what was done and refused; keep the refused cases marked."""
        refused = {case for case, _why in report.refused}
        self.app.notify("\n".join(report.lines()), title=_("Bulk"),
                        severity="warning" if refused else "information",
                        timeout=12 if refused else 5)
        self.bulk_table().set_marks([r.id for r in rows if r.label in refused])
