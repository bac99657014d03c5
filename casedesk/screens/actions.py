"""Case operations shared by the WIP bin and the case screen: status keys, dispatch, notes,
time. Each asks what it needs in a modal, which calls the service in a worker and stays open
until the write has succeeded (a refusal is shown in it, with what was typed)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual import work
from textual.binding import Binding, BindingType

from casedesk.i18n import N_, _
from casedesk.screens.base import DeskScreen
from casedesk.screens.modals import (
    ChoicePrompt,
    Form,
    ResolveForm,
    TextPrompt,
    TimeForm,
    TimeSpent,
)
from casedesk.services.queries import board
from casedesk.services.queries.views import CaseDetail
from casedesk.services.workflow import cases, transitions

#: Status keys, the same on the WIP bin and on the case screen: (key, action, label, id).
_STATUS_KEYS = [
    ("s", "start", N_("Start"), "case-start"),
    ("w", "wait", N_("Wait"), "case-wait"),
    ("u", "resume", N_("Resume"), "case-resume"),
    ("v", "resolve", N_("Resolve"), "case-resolve"),
    ("c", "close_case", N_("Close"), "case-close"),
    ("o", "reopen", N_("Reopen"), "case-reopen"),
    ("x", "cancel_case", N_("Cancel case"), "case-cancel"),
    ("d", "dispatch", N_("Dispatch"), "case-dispatch"),
    ("n", "note", N_("Note"), "case-note"),
    ("l", "log_time", N_("Log time"), "case-time"),
]


def status_bindings(shown: set[str]) -> list[BindingType]:
    """The status keys; those whose action is in ``shown`` appear in the footer (their
    descriptions are translated by :mod:`casedesk.widgets.localize`)."""
    return [
        Binding(key, action, label, id=binding_id, show=action in shown)
        for key, action, label, binding_id in _STATUS_KEYS
    ]


class CaseActions(DeskScreen):
    """Status and routing actions on :meth:`target` (label, version or None)."""

    def target(self) -> tuple[str, int | None] | None:
        """The case the keys act on: its label and the version the agent saw."""
        raise NotImplementedError

    def after_change(self, case: CaseDetail) -> None:
        """Called with the case as it is after a successful operation."""

    def _run(
        self, fn: Callable[..., CaseDetail], *args: Any, done: str, **kwargs: Any
    ) -> None:
        """``done``: the sentence said on success, translated, with ``{case}``."""
        target = self.target()
        if target is None:
            self.app.notify(_("no case selected"), severity="warning")
            return
        label, version = target
        self.operate(
            partial(fn, self.desk, self.actor, label, *args, version=version, **kwargs),
            done=lambda c: done.format(case=c.label),
            then=self.after_change,
        )

    def _ask(
        self,
        form: Form,
        call: Callable[[Any], tuple[Callable[..., CaseDetail], tuple[Any, ...]]],
        *,
        done: str,
    ) -> None:
        """Ask in ``form``; its value gives (service function, its arguments after the
        case), called on the target case at the version the screen shows when the form is
        submitted (after a refused try, the screen has reloaded behind the form).
        ``done``: the sentence said on success, translated, with ``{case}``."""
        target = self.target()
        if target is None:
            return
        label = target[0]

        def write(value: Any) -> CaseDetail:
            fn, args = call(value)
            now = self.target()
            version = now[1] if now is not None and now[0] == label else target[1]
            return fn(self.desk, self.actor, label, *args, version=version)

        self.write_from(
            form, write, done=lambda c: done.format(case=c.label), then=self.after_change
        )

    def action_start(self) -> None:
        """new → in progress."""
        self._run(transitions.start, done=_("{case} is in progress"))

    def action_wait(self) -> None:
        """Wait for the customer: the resolution clock pauses."""
        self._run(transitions.wait,
                  done=_("{case} is waiting for the customer (resolution clock paused)"))

    def action_resume(self) -> None:
        """Back to work: the resolution deadline moves by the paused time."""
        self._run(transitions.resume, done=_("{case} is back in progress"))

    def action_close_case(self) -> None:
        """resolved → closed (the customer confirmed)."""
        self._run(transitions.close, done=_("{case} is closed"))

    def action_reopen(self) -> None:
        """resolved or closed → in progress."""
        self._run(transitions.reopen, done=_("{case} is reopened"))

    def action_resolve(self) -> None:
        """Resolve with a type and notes (asked in a modal)."""
        target = self.target()
        if target is None:
            return
        self._ask(
            ResolveForm(target[0], transitions.RESOLUTION_TYPES),
            lambda value: (transitions.resolve, (value.type, value.notes)),
            done=_("{case} is resolved"),
        )

    def action_cancel_case(self) -> None:
        """Cancel (duplicate, withdrawn) with a reason."""
        target = self.target()
        if target is None:
            return
        self._ask(
            TextPrompt(_("Cancel {case}: why?").format(case=target[0]),
                       placeholder=_("duplicate of …, withdrawn …")),
            lambda reason: (transitions.cancel, (reason,)),
            done=_("{case} is cancelled"),
        )

    @work(group="ask", exit_on_error=False)
    async def action_dispatch(self) -> None:
        """Send the case from my bin to a queue (its home queue first)."""
        target = self.target()
        if target is None:
            return
        label, version = target
        names = await self.fetch(partial(board.queue_names, self.desk))
        if names is None:
            return
        choices = [(_("its home queue"), "")] + [(n, n) for n in names]
        self.write_from(
            ChoicePrompt(_("Dispatch {case} to").format(case=label), choices),
            lambda queue: transitions.dispatch(
                self.desk, self.actor, label, queue or None, version=version
            ),
            done=lambda c: _("{case} dispatched to {queue}").format(case=c.label,
                                                                     queue=c.queue),
            then=self.after_change,
        )

    def action_note(self) -> None:
        """Add an internal note to the timeline."""
        target = self.target()
        if target is None:
            return

        self.write_from(
            TextPrompt(_("Note on {case}").format(case=target[0]),
                       placeholder=_("internal note")),
            lambda text: cases.add_note(self.desk, self.actor, target[0], text),
            done=_("note added to {case}").format(case=target[0]),
            then=self.after_change,
        )

    def action_log_time(self) -> None:
        """Record minutes spent on the case."""
        target = self.target()
        if target is None:
            return

        def write(value: TimeSpent) -> tuple[TimeSpent, CaseDetail]:
            return value, cases.log_time(
                self.desk, self.actor, target[0], value.minutes, value.note or None
            )

        self.write_from(
            TimeForm(target[0]),
            write,
            done=lambda r: _("{minutes} min logged on {case}").format(minutes=r[0].minutes,
                                                                     case=target[0]),
            then=lambda r: self.after_change(r[1]),
        )
