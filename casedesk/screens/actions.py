"""Case operations shared by the WIP bin and the case screen: status keys, dispatch, notes,
time. Each asks what it needs in a modal and calls the service in a worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.binding import Binding, BindingType

from casedesk.screens.base import DeskScreen
from casedesk.screens.modals import (
    ChoicePrompt,
    Resolution,
    ResolveForm,
    TextPrompt,
    TimeForm,
    TimeSpent,
)
from casedesk.services import board, cases, workflow
from casedesk.services.views import CaseDetail

#: Status keys, the same on the WIP bin and on the case screen: (key, action, label, id).
_STATUS_KEYS = [
    ("s", "start", "Start", "case-start"),
    ("w", "wait", "Wait", "case-wait"),
    ("u", "resume", "Resume", "case-resume"),
    ("v", "resolve", "Resolve", "case-resolve"),
    ("c", "close_case", "Close", "case-close"),
    ("o", "reopen", "Reopen", "case-reopen"),
    ("x", "cancel_case", "Cancel case", "case-cancel"),
    ("d", "dispatch", "Dispatch", "case-dispatch"),
    ("n", "note", "Note", "case-note"),
    ("l", "log_time", "Log time", "case-time"),
]


def status_bindings(shown: set[str]) -> list[BindingType]:
    """The status keys; those whose action is in ``shown`` appear in the footer."""
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
        target = self.target()
        if target is None:
            self.app.notify("no case selected", severity="warning")
            return
        label, version = target
        self.operate(
            fn,
            self.desk,
            self.actor,
            label,
            *args,
            version=version,
            done=lambda c: f"{c.label} {done}",
            then=self.after_change,
            **kwargs,
        )

    def action_start(self) -> None:
        """new → in progress."""
        self._run(workflow.start, done="in progress")

    def action_wait(self) -> None:
        """Wait for the customer: the resolution clock pauses."""
        self._run(workflow.wait, done="waiting for the customer (clock paused)")

    def action_resume(self) -> None:
        """Back to work: the resolution deadline moves by the paused time."""
        self._run(workflow.resume, done="resumed")

    def action_close_case(self) -> None:
        """resolved → closed (the customer confirmed)."""
        self._run(workflow.close, done="closed")

    def action_reopen(self) -> None:
        """resolved or closed → in progress."""
        self._run(workflow.reopen, done="reopened")

    def action_resolve(self) -> None:
        """Resolve with a type and notes (asked in a modal)."""
        target = self.target()
        if target is None:
            return

        def go(value: Resolution | None) -> None:
            if value is not None:
                self._run(workflow.resolve, value.type, value.notes, done="resolved")

        self.app.push_screen(ResolveForm(target[0], workflow.RESOLUTION_TYPES), go)

    def action_cancel_case(self) -> None:
        """Cancel (duplicate, withdrawn) with a reason."""
        target = self.target()
        if target is None:
            return

        def go(reason: str | None) -> None:
            if reason:
                self._run(workflow.cancel, reason, done="cancelled")

        self.app.push_screen(
            TextPrompt(f"Cancel {target[0]}: why?", placeholder="duplicate of …, withdrawn …"),
            go,
        )

    def action_dispatch(self) -> None:
        """Send the case from my bin to a queue (its home queue first)."""
        target = self.target()
        if target is None:
            return
        label, version = target

        def ask(names: list[str]) -> None:
            choices = [("its home queue", "")] + [(n, n) for n in names]
            self.app.push_screen(ChoicePrompt(f"Dispatch {label} to", choices), go)

        def go(queue: str | None) -> None:
            if queue is None:
                return
            self.operate(
                workflow.dispatch,
                self.desk,
                self.actor,
                label,
                queue or None,
                version=version,
                done=lambda c: f"{c.label} dispatched to {c.queue}",
                then=self.after_change,
            )

        self.load("queue-names", board.queue_names, self.desk, then=ask)

    def action_note(self) -> None:
        """Add an internal note to the timeline."""
        target = self.target()
        if target is None:
            return

        def go(text: str | None) -> None:
            if text:
                self.operate(
                    cases.add_note,
                    self.desk,
                    self.actor,
                    target[0],
                    text,
                    done=f"note added to {target[0]}",
                    then=self.after_change,
                )

        self.app.push_screen(TextPrompt(f"Note on {target[0]}", placeholder="internal note"), go)

    def action_log_time(self) -> None:
        """Record minutes spent on the case."""
        target = self.target()
        if target is None:
            return

        def go(value: TimeSpent | None) -> None:
            if value is not None:
                self.operate(
                    cases.log_time,
                    self.desk,
                    self.actor,
                    target[0],
                    value.minutes,
                    value.note or None,
                    done=f"{value.minutes} min logged on {target[0]}",
                    then=self.after_change,
                )

        self.app.push_screen(TimeForm(target[0]), go)
