"""Moving the selected case between queues and bins: what the queue inbox and the
supervisor view share (accept and yank are one guarded move each; transfer asks for the
queue in a modal that stays open until the move has succeeded)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial

from casedesk.i18n import N_, _
from casedesk.screens.base import DeskScreen
from casedesk.services.context import Actor, Desk
from casedesk.services.queries.views import CaseDetail, CaseRow
from casedesk.services.workflow import transitions
from casedesk.widgets.case_table import CaseTable


class CaseMoves(DeskScreen):
    """A screen with a case list (:attr:`cases`) whose selected case can be moved."""

    #: What is said when a key needs a case and none is selected (marked with ``N_``,
    #: translated when said).
    NO_SELECTION = N_("no case selected")

    @property
    def cases(self) -> CaseTable:
        raise NotImplementedError

    def selected_case(self) -> CaseRow | None:
        """The highlighted case, or None after saying that none is (also while the list is
        loading: the case under the loading indicator is not one the person can see)."""
        table = self.cases
        row = None if table.loading else table.current()
        if row is None:
            self.app.notify(_(self.NO_SELECTION), severity="warning")
        return row

    def move_case(
        self,
        move: Callable[[Desk, Actor, str], CaseDetail],
        *,
        done: Callable[[CaseDetail], str],
        then: Callable[[CaseDetail], None] | None = None,
    ) -> None:
        """One move of the selected case (accept, yank, …) as the acting agent."""
        row = self.selected_case()
        if row is None:
            return
        self.operate(partial(move, self.desk, self.actor, row.label), done=done, then=then)

    def transfer_case(self, row: CaseRow, queues: Iterable[str]) -> None:
        """Ask for another queue and transfer ``row`` there."""
        from casedesk.screens.modals import ChoicePrompt  # loaded when first needed

        choices = [(name, name) for name in queues if name != row.queue]
        self.write_from(
            ChoicePrompt(_("Transfer {case} to queue").format(case=row.label), choices),
            lambda queue: transitions.transfer(self.desk, self.actor, row.label, queue),
            done=lambda c: _("{case} transferred to {queue}").format(case=row.label,
                                                                      queue=c.queue),
        )
