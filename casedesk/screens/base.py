"""What every workstation screen shares: service calls in workers, live refresh, the clock.

Screens never touch the database. They call a service function through :meth:`DeskScreen.load`
(a read; a newer load of the same key cancels the older) or :meth:`DeskScreen.operate` (a
change), both thread workers. The result comes back to the screen on the main thread; a
refused operation (any ``CaseDeskError``) becomes an error notification with the service's
message, and nothing else happens. A change asked for in a form goes through
:meth:`ServiceCalls.write_from`: the form stays open until the write succeeds and shows a
refusal itself, with what was typed. A change that has not returned after two seconds is
said on the app's status line (``waiting for the database…``) until it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError
from textual import work
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import Worker, get_current_worker

from casedesk.errors import CaseDeskError
from casedesk.services.context import Actor, Desk
from casedesk.textsafe import one_line

if TYPE_CHECKING:
    from casedesk.app import CaseDeskApp
    from casedesk.screens.modals import Form

T = TypeVar("T")


def error_message(exc: BaseException) -> str:
    """The one line a person sees for a failed call."""
    if isinstance(exc, CaseDeskError):
        return str(exc)
    if isinstance(exc, DBAPIError):
        orig = getattr(exc, "orig", None) or exc
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        return f"database error: {first}"
    return f"{type(exc).__name__}: {exc}"


class ServiceCalls:
    """Mixin for screens and modals: run service functions off the main thread."""

    app: CaseDeskApp

    @property
    def desk(self) -> Desk:
        return self.app.desk

    @property
    def actor(self) -> Actor:
        assert self.app.actor is not None, "signed in before any screen opens"
        return self.app.actor

    def now(self) -> datetime:
        return self.app.now()

    def tz(self) -> ZoneInfo:
        return self.app.tz

    def load(
        self,
        key: str,
        fn: Callable[..., T],
        *args: Any,
        then: Callable[[T], None],
        busy: Widget | None = None,
        coalesce: bool = False,
        failed: Callable[[BaseException], None] | None = None,
        **kwargs: Any,
    ) -> Worker[None] | None:
        """Read in a worker; a newer load with the same ``key`` supersedes this one.

        With ``coalesce`` a load requested while one with the same key is running waits
        for it and then runs once (for costly counts that must not pile up). A failure is
        an error notification, or a call to ``failed`` when given.
        """
        if coalesce:
            pending = self._pending_loads()
            if key in pending:
                pending[key] = (fn, args, kwargs, then, busy, failed)
                return None
            pending[key] = None
        if busy is not None:
            busy.loading = True

        def body() -> None:
            worker = get_current_worker()
            try:
                result = fn(*args, **kwargs)
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

    def _pending_loads(self) -> dict[str, Any]:
        pending = getattr(self, "_coalesced", None)
        if pending is None:
            pending = self._coalesced = {}
        return pending

    def _finish_coalesced(self, key: str | None) -> None:
        if key is None:
            return
        again = self._pending_loads().pop(key, None)
        if again is not None:
            fn, args, kwargs, then, busy, failed = again
            self.load(
                key, fn, *args, then=then, busy=busy, coalesce=True, failed=failed, **kwargs
            )

    def _loaded(
        self, then: Callable[[Any], None], result: Any, busy: Widget | None, key: str | None
    ) -> None:
        if busy is not None:
            busy.loading = False
        try:
            then(result)
        finally:
            self._finish_coalesced(key)
            self.app.first_data_shown()

    def _failed(
        self,
        exc: BaseException,
        busy: Widget | None,
        key: str | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        if busy is not None:
            busy.loading = False
        if failed is not None:
            failed(exc)
        else:
            self.app.notify(error_message(exc), title="Refused", severity="error")
        self._finish_coalesced(key)

    @work(thread=True, exit_on_error=False, group="operations")
    def operate(
        self,
        fn: Callable[..., T],
        *args: Any,
        then: Callable[[T], None] | None = None,
        done: str | Callable[[T], str] | None = None,
        **kwargs: Any,
    ) -> None:
        """Change something in a worker; say ``done`` and call ``then`` on success."""
        seq = self.app.call_from_thread(self.app.write_started)
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a notification
            self.app.call_from_thread(self.app.write_finished, seq)
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self.app.write_finished, seq)
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

        def refused(exc: BaseException) -> None:
            self.app.data_changed()  # what the agent saw was probably stale

        self.app.push_screen(
            form.writes(
                write, written=lambda result: self._operated(result, then, done), refused=refused
            )
        )

    def _refused(self, exc: BaseException) -> None:
        """A refused change: say why, and reload (what the agent saw was probably stale)."""
        self._failed(exc, None)
        self.app.data_changed()

    def _operated(
        self,
        result: Any,
        then: Callable[[Any], None] | None,
        done: str | Callable[[Any], str] | None,
    ) -> None:
        if done is not None:
            self.app.notify(done(result) if callable(done) else done)
        self.app.data_changed()
        if then is not None:
            then(result)


class DeskScreen(ServiceCalls, Screen[None]):
    """A top-level workstation screen (one per mode)."""

    #: Shown in the header next to the agent's name.
    LABEL = ""

    def __init__(self) -> None:
        super().__init__()
        self._generation_seen = -1
        #: Set once the screen's widgets exist (Textual calls this after the subclass's).
        self.ready = False

    def on_mount(self) -> None:
        self.ready = True
        self.mount(Static("", id="db-status", classes="db-status"))
        self.show_db_status(self.app.db_status)
        self.refresh_if_stale()

    def on_screen_resume(self) -> None:
        self.sub_title = one_line(f"{self.LABEL} · {self.actor.name} ({self.actor.role})")
        self.show_db_status(self.app.db_status)
        self.refresh_if_stale()

    def show_db_status(self, text: str) -> None:
        """The connection's state on the status line above the footer ("" hides it)."""
        line = self.query("#db-status")
        if line:
            status = line.first(Static)
            status.update(text)
            status.set_class(bool(text), "-shown")

    def refresh_if_stale(self) -> None:
        """Reload what the screen shows if anything changed since it last loaded."""
        if self.ready and self._generation_seen != self.app.generation:
            self._generation_seen = self.app.generation
            self.refresh_data()

    def refresh_data(self) -> None:
        """Reload the screen's lists (in workers)."""

    def tick(self) -> None:
        """Once a second: re-render countdowns from the rows held."""
