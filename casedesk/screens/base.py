"""What every workstation screen shares: service calls in workers, live refresh, the clock.

Screens never touch the database. They call a service function through :meth:`DeskScreen.load`
(a read; a newer load of the same key cancels the older) or :meth:`DeskScreen.operate` (a
change), both thread workers, given as ``partial(service_fn, desk, ...)`` so that mypy checks
the arguments against the service and carries its return type to ``then``. Flows that read
something before asking in a modal are ``@work`` coroutines using :meth:`ServiceCalls.fetch`.
The result comes back to the screen on the main thread; a
refused operation (any ``CaseDeskError``) becomes an error notification with the service's
message, and nothing else happens. A change asked for in a form goes through
:meth:`ServiceCalls.write_from`: the form stays open until the write succeeds and shows a
refusal itself, with what was typed. A change that has not returned after two seconds is
said on the app's status line (``waiting for the database…``) until it returns.

Screens never import the app: what they share with it they read through
:class:`~casedesk.screens.workstation.Workstation`; what they want they post as a message
(:mod:`casedesk.screens.messages`).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast
from zoneinfo import ZoneInfo

from textual import work
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from casedesk.failures import describe
from casedesk.i18n import _
from casedesk.labels import label
from casedesk.screens import messages
from casedesk.services.context import Actor, Desk
from casedesk.textsafe import one_line
from casedesk.widgets.localize import localize_node

if TYPE_CHECKING:
    from textual.app import App
    from textual.message import Message

    from casedesk.screens.modals import Form
    from casedesk.screens.workstation import Workstation

T = TypeVar("T")

#: Numbers the changes of every screen (WriteStarted / WriteFinished pairs).
_write_numbers = itertools.count(1)


def error_message(exc: BaseException) -> str:
    """The one line a person sees for a failed call (the CLI's line, without its prefix)."""
    failure = describe(exc)
    if failure is not None:
        return failure.message
    return one_line(f"{type(exc).__name__}: {exc}")


def desk_screen(stack: Iterable[Screen[Any]]) -> DeskScreen | None:
    """The workstation screen at the bottom of a screen stack (under any modals)."""
    for screen in reversed(list(stack)):
        if isinstance(screen, DeskScreen):
            return screen
    return None


def _gone(node: object) -> bool:
    """Whether a screen has been removed (or is being removed) from the app."""
    return bool(getattr(node, "_closing", False) or getattr(node, "_closed", False))


_Pending = tuple[
    Callable[[], Any], Callable[[Any], None], "Widget | None",
    "Callable[[BaseException], None] | None",
]


class ServiceCalls:
    """Mixin for screens and modals: run service functions off the main thread.

    A call is a zero-argument callable, usually ``functools.partial(service_fn, desk,
    ...)``: mypy checks its arguments against the service function and carries the
    service's return type ``T`` to ``then: Callable[[T], None]``.
    """

    if TYPE_CHECKING:

        app: App[Any]

        def post_message(self, message: Message) -> bool: ...

    @property
    def workstation(self) -> Workstation:
        """The shared state of the workstation this screen runs in (see :class:`Workstation`)."""
        return cast("Workstation", self.app)

    @property
    def desk(self) -> Desk:
        return self.workstation.desk

    @property
    def actor(self) -> Actor:
        actor = self.workstation.actor
        assert actor is not None, "signed in before any screen opens"
        return actor

    def now(self) -> datetime:
        return self.workstation.now()

    def tz(self) -> ZoneInfo:
        return self.workstation.tz

    def load(
        self,
        key: str,
        call: Callable[[], T],
        *,
        then: Callable[[T], None],
        busy: Widget | None = None,
        coalesce: bool = False,
        failed: Callable[[BaseException], None] | None = None,
    ) -> Worker[None] | None:
        """Read ``call()`` in a worker and give its result to ``then`` on the main thread;
        a newer load with the same ``key`` supersedes this one.

        With ``coalesce`` a load requested while one with the same key is running waits
        for it and then runs once (for costly counts that must not pile up). A failure is
        an error notification, or a call to ``failed`` when given.
        """
        if coalesce:
            pending = self._pending_loads()
            if key in pending:
                pending[key] = (call, then, busy, failed)
                return None
            pending[key] = None
        if busy is not None:
            busy.loading = True

        def body() -> None:
            worker = get_current_worker()
            try:
                result = call()
            except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
                if not worker.is_cancelled:
                    self.app.call_from_thread(
                        self._failed, exc, busy, key if coalesce else None, failed
                    )
                return
            if not worker.is_cancelled:
                self.app.call_from_thread(
                    self._loaded, then, result, busy, key if coalesce else None
                )

        return self.app.run_worker(
            body, name=key, group=f"load-{key}", thread=True, exclusive=True, exit_on_error=False
        )

    async def fetch(self, call: Callable[[], T]) -> T | None:
        """Read ``call()`` in a thread and return it, for flows that read top to bottom in
        an async worker (``@work``): None after an error notification when it fails."""
        try:
            return await asyncio.to_thread(call)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            self.app.notify(error_message(exc), title=_("Refused"), severity="error")
            return None

    def _pending_loads(self) -> dict[str, _Pending | None]:
        pending: dict[str, _Pending | None] | None = getattr(self, "_coalesced", None)
        if pending is None:
            pending = {}
            self._coalesced = pending
        return pending

    def _finish_coalesced(self, key: str | None) -> None:
        if key is None:
            return
        again = self._pending_loads().pop(key, None)
        if again is not None:
            call, then, busy, failed = again
            self.load(key, call, then=then, busy=busy, coalesce=True, failed=failed)

    def _loaded(
        self, then: Callable[[T], None], result: T, busy: Widget | None, key: str | None
    ) -> None:
        if busy is not None:
            busy.loading = False
        if _gone(self):  # removed meanwhile (a language switch builds screens again)
            return
        try:
            then(result)
        finally:
            self._finish_coalesced(key)
            self.post_message(messages.FirstDataShown())

    def _failed(
        self,
        exc: BaseException,
        busy: Widget | None,
        key: str | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        if busy is not None:
            busy.loading = False
        if _gone(self):
            return
        if failed is not None:
            failed(exc)
        else:
            self.app.notify(error_message(exc), title=_("Refused"), severity="error")
        self._finish_coalesced(key)

    def data_changed(self) -> None:
        """Say that this workstation changed something: the lists refresh now."""
        self.post_message(messages.DataChanged())

    @work(thread=True, exit_on_error=False, group="operations")
    def operate(
        self,
        call: Callable[[], T],
        *,
        then: Callable[[T], None] | None = None,
        done: str | Callable[[T], str] | None = None,
    ) -> None:
        """Change something in a worker: ``call()``; say ``done`` and call ``then`` with
        its result on success. A change that has not returned after two seconds is said on
        the status line (the app hears ``WriteStarted``/``WriteFinished``)."""
        seq = next(_write_numbers)
        self.app.post_message(messages.WriteStarted(seq))
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            self.app.post_message(messages.WriteFinished(seq))
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.post_message(messages.WriteFinished(seq))
        self.app.call_from_thread(self._operated, result, then, done)

    def write_from(
        self,
        form: Form,
        write: Callable[[Any], T],
        *,
        then: Callable[[T], None] | None = None,
        done: str | Callable[[T], str] | None = None,
    ) -> None:
        """Show ``form``; its value is written by ``write(value)`` (in a worker) and the form
        stays open until that succeeds, showing a refusal inside with the text intact. On
        success: say ``done``, refresh, call ``then`` (as :meth:`operate`)."""

        def written(result: T) -> None:
            self._operated(result, then, done)

        def refused(exc: BaseException) -> None:
            self.data_changed()  # what the agent saw was probably stale

        self.app.push_screen(form.writes(write, written=written, refused=refused))

    def _refused(self, exc: BaseException) -> None:
        """A refused change: say why, and reload (what the agent saw was probably stale)."""
        self._failed(exc, None)
        self.data_changed()

    def _operated(
        self,
        result: T,
        then: Callable[[T], None] | None,
        done: str | Callable[[T], str] | None,
    ) -> None:
        if done is not None:
            self.app.notify(done(result) if callable(done) else done)
        self.data_changed()
        if then is not None:
            then(result)


class DeskScreen(ServiceCalls, Screen[None]):
    """A top-level workstation screen (one per mode)."""

    #: Shown in the header next to the agent's name (English, marked with ``N_``;
    #: translated where shown).
    LABEL = ""

    def __init__(self) -> None:
        super().__init__()
        localize_node(self)
        self._generation_seen = -1
        #: Set once the screen's widgets exist (Textual calls this after the subclass's).
        self.ready = False

    def on_mount(self) -> None:
        self.ready = True
        self.mount(Static("", id="db-status", classes="db-status"))
        self.show_db_status(self.workstation.db_status)
        self.refresh_if_stale()

    def on_screen_resume(self) -> None:
        self.show_presence()
        self.show_db_status(self.workstation.db_status)
        self.refresh_if_stale()

    def show_presence(self) -> None:
        """The header: this screen, who is signed in, and their presence once known (and
        the header icon's tooltip in the reader's language)."""
        for icon in self.query("HeaderIcon"):
            icon.tooltip = _("Open the command palette")
        name = _(self.LABEL) if self.LABEL else ""
        title = f"{name} · {self.actor.name} ({label('role', self.actor.role)})"
        status = self.workstation.presence
        self.sub_title = one_line(
            f"{title} · {label('agent_status', status)}" if status else title
        )

    def show_db_status(self, text: str) -> None:
        """The connection's state on the status line above the footer ("" hides it)."""
        line = self.query("#db-status")
        if line:
            status = line.first(Static)
            status.update(text)
            status.set_class(bool(text), "-shown")

    def refresh_if_stale(self) -> None:
        """Reload what the screen shows if anything changed since it last loaded."""
        generation = self.workstation.generation
        if self.ready and self._generation_seen != generation:
            self._generation_seen = generation
            self.refresh_data()

    def refresh_data(self) -> None:
        """Reload the screen's lists (in workers)."""

    def tick(self) -> None:
        """Once a second: re-render countdowns from the rows held."""
