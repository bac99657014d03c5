"""The Textual workstation: modes (one per screen), bindings, the command palette, live refresh.

``casedesk`` with no sub-command calls :func:`run_workstation`. Each top-level screen is a
Textual mode, one function key away from anywhere (F2 log … F7 supervisor); F1 or ``?``
opens the desk's help (:mod:`casedesk.screens.help`: this screen's keys first, then the
global ones, a legend of SLA colours and statuses); ctrl+p opens the command palette (the
desk's actions first, "open a case by number", then theme, screenshot, quit).

Language: the one the CLI chose (``--lang``, ``CASEDESK_LANG``, the config file, the
locale) unless ``language=`` is given. "Idioma / Language" in the palette switches it:
remembered in the config file, every key hint translated again and every screen built
again (refused while there is unsaved work, which a rebuild would lose).

Live: the app polls :func:`casedesk.services.queries.live.change_token` once a second in a thread
worker and bumps :attr:`CaseDeskApp.generation` when it changes; the visible screen reloads
its lists, the others when they are shown again. Countdowns tick once a second from the
rows already held and the desk's clock (frozen in tests and snapshots).

The SLA clock: after sign-in the workstation takes part in running the SLA scan every
``sla_tick_seconds`` (:mod:`casedesk.services.sla.lease`: whichever workstation or
``casedesk worker`` holds the lease runs each tick, exactly once), in a thread worker that
stops when the app closes. The breaches and warnings it records reach every workstation
through the change token.

Connection state: when a poll fails the status line above the footer says
"database unreachable — retrying" (the lists keep what they hold, and say it may be stale)
until a poll succeeds again, which also reloads them. A change that has not returned after
two seconds is said there too ("waiting for the database…"); a form that writes says it
inside itself (:mod:`casedesk.screens.modals`).

Screens never import this module: they read the shared state through the
:class:`~casedesk.screens.workstation.Workstation` protocol (which this App satisfies) and
ask for things by posting :mod:`casedesk.screens.messages` (open a case, log for a case,
show an article, go back, data changed …), handled here with ``@on``; the screen table is
:mod:`casedesk.screens.registry`.

Key bindings carry ids (``go-inbox``, ``case-resolve`` …) and can be remapped in the config
file's ``[keymap]`` table, e.g. ``go-inbox = "f9"`` (read once, as
:class:`~casedesk.config.Settings`).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.keys import format_key
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.timer import Timer

from casedesk import db, heap
from casedesk.commands import CaseDeskCommands
from casedesk.config import Settings, load_settings, write_config_value
from casedesk.errors import CaseDeskError, PasswordNeeded
from casedesk.i18n import LANGUAGES, N_, _, language, set_language
from casedesk.labels import label
from casedesk.screens import messages
from casedesk.screens.base import DeskScreen, desk_screen, error_message
from casedesk.screens.registry import SCREENS, SUPERVISOR_ONLY, screen_factory
from casedesk.services.context import Actor, Desk
from casedesk.services.directory import presence
from casedesk.services.queries import board, live
from casedesk.services.queries.views import CaseDetail, PresenceView
from casedesk.services.sla import explanations, lease
from casedesk.services.sla.clocks import PolicyTargets
from casedesk.textsafe import one_line, visible
from casedesk.widgets.localize import localize_node
from casedesk.widgets.palette import DeskPalette
from casedesk.widgets.textual_words import key_display

__all__ = ["SCREENS", "CaseDeskApp", "run_workstation"]


class _Setting(Enum):
    """``clock_interval`` not given: use the ``sla_tick_seconds`` setting."""

    SLA_TICK = "sla_tick_seconds"


def _sign_in_screen(password_for: str | None = None) -> Any:
    from casedesk.screens.signin import SignInScreen  # only when nobody is configured

    return SignInScreen(password_for)


class CaseDeskApp(App[None]):
    """The agent workstation."""

    TITLE = "casedesk"
    CSS_PATH = "app.tcss"
    #: The desk's provider is the only one: it lists the desk's actions first, then the
    #: few Textual commands kept (:meth:`get_system_commands`), all translated.
    COMMANDS = {CaseDeskCommands}
    MODES: ClassVar[dict[str, Any]] = {name: screen_factory(name) for name in SCREENS}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "go('log')", "Log", id="go-log", priority=True,
                tooltip=N_("Interaction log: log a call, e-mail, visit or letter")),
        Binding("f3", "go('inbox')", "Inbox", id="go-inbox", priority=True,
                tooltip=N_("Queue inbox: my queues and their waiting cases")),
        Binding("f4", "go('wip')", "Bin", id="go-wip", priority=True,
                tooltip=N_("My WIP bin: the cases I own")),
        Binding("f5", "go('case')", "Case", id="go-case", priority=True,
                tooltip=N_("Case detail: the case last opened")),
        Binding("f6", "go('knowledge')", "KB", id="go-knowledge", priority=True,
                tooltip=N_("Knowledge search")),
        Binding("f7", "go('supervisor')", "Super", id="go-supervisor", priority=True,
                tooltip=N_("Supervisor view: queues and agents")),
        Binding("f8", "presence", "Presence", id="presence", priority=True,
                tooltip=N_("My presence: available → away → offline → available")),
        Binding("f1,question_mark", "help", "Help", id="help", key_display="F1",
                tooltip=N_("The keys of this screen, the SLA colours and the statuses")),
        Binding("ctrl+p", "command_palette", "Commands", id="commands", show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True, show=False),
    ]

    def __init__(
        self,
        desk: Desk,
        actor: Actor | None,
        *,
        start_mode: str = "inbox",
        timezone: str | None = None,
        poll_interval: float | None = 1.0,
        remember_agent: bool = True,
        notice: str | None = None,
        settings: Settings | None = None,
        clock_interval: float | None | Literal[_Setting.SLA_TICK] = _Setting.SLA_TICK,
        reconnect: Callable[[str], tuple[Desk, Actor]] | None = None,
        password_for: str = "",
        language: str | None = None,
    ) -> None:
        """``settings`` (keymap …) default to :func:`~casedesk.config.load_settings`;
        ``clock_interval``: seconds between SLA clock ticks (the ``sla_tick_seconds``
        setting by default; None: this workstation does not run the clock).
        ``reconnect`` (PostgreSQL, when the server wants a password): the sign-in screen
        asks for it (for ``password_for``) and this opens the desk with it and says who
        the connected role is. ``language``: speak this one (a code of
        :data:`casedesk.i18n.LANGUAGES`); by default the one the CLI chose is kept."""
        super().__init__()
        if language is not None:
            set_language(language)
        localize_node(self)
        self._reconnect = reconnect
        self._password_for = password_for
        settings = settings or load_settings()
        self.clock_interval = (
            settings.sla_tick_seconds if clock_interval is _Setting.SLA_TICK else clock_interval
        )
        self._clock_stop = threading.Event()
        self._clock_thread: threading.Thread | None = None
        self.desk = desk
        self.actor = actor
        self.start_mode = start_mode
        self.poll_interval = poll_interval
        self.remember_agent = remember_agent
        self.generation = 0
        self.token: tuple[Any, ...] | None = None
        self._polling = False
        #: When the last poll failed (None: the database answered).
        self.unreachable_since: datetime | None = None
        self._slow_writes = 0
        self._pending_writes: dict[int, Timer | None] = {}
        self.current_case: str | None = None
        #: The signed-in agent's presence as last read or set (F8), None until read.
        self.presence: str | None = None
        self.previous_mode: str | None = None
        #: Every SLA policy's targets by name, loaded once (for exact clock states).
        self.policy_targets: dict[str, PolicyTargets] = {}
        #: Every notification shown, (severity, message): what tests read back.
        self.notices: list[tuple[str, str]] = []
        self._startup_notice = notice
        self._targets_requested = False
        self._timezone_name = timezone
        self.tz = self._zone(timezone or "UTC")
        self.set_keymap(dict(settings.keymap))

    def push_screen(self, screen: Any, *args: Any, **kwargs: Any) -> Any:
        """Push ``screen`` with its key hints in the reader's language."""
        if isinstance(screen, Screen):
            localize_node(screen)
        return super().push_screen(screen, *args, **kwargs)

    @staticmethod
    def _zone(name: str) -> ZoneInfo:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def now(self) -> datetime:
        return self.desk.clock.now()

    # --- start-up ------------------------------------------------------------------

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self._startup_notice:
            self.notify(self._startup_notice, severity="warning")
        if self.actor is None:
            self.sign_in()
        else:
            self._start()

    def sign_in(self) -> None:
        """Ask who is at this desk (Escape quits). A callback rather than
        ``push_screen_wait``: a worker waiting on an open screen would keep
        ``workers.wait_for_complete()`` waiting in the tests."""
        if self._reconnect is not None:
            self.push_screen(_sign_in_screen(self._password_for), self._password_given)
            return
        self.push_screen(_sign_in_screen(), self._signed_in)

    def _signed_in(self, login: str | None) -> None:
        if login is None:
            self.exit()
            return
        self.operate_sign_in(login)

    def _password_given(self, password: str | None) -> None:
        if password is None:
            self.exit()
            return
        self.operate_password(password)

    @work(thread=True, exit_on_error=False, group="sign-in")
    def operate_password(self, password: str) -> None:
        """Connect with the typed password (held only by the engine's connect arguments)
        and sign in as the connected role's agent."""
        assert self._reconnect is not None
        try:
            desk, actor = self._reconnect(password)
        except CaseDeskError as exc:
            self.call_from_thread(self.notify, error_message(exc), severity="error")
            self.call_from_thread(self.sign_in)
            return
        self.call_from_thread(self._connected, desk, actor)

    def _connected(self, desk: Desk, actor: Actor) -> None:
        self.desk.engine.dispose()
        self.desk = desk
        self._reconnect = None
        self._set_actor(actor)

    @work(thread=True, exit_on_error=False, group="sign-in")
    def operate_sign_in(self, login: str) -> None:
        """Resolve the chosen agent and remember them in the config file."""
        try:
            actor = self.desk.actor(login)
            if self.remember_agent and not self.desk.shared:
                write_config_value("agent", login)
        except CaseDeskError as exc:
            self.call_from_thread(self.notify, str(exc), severity="error")
            self.call_from_thread(self.sign_in)
            return
        self.call_from_thread(self._set_actor, actor)

    def _set_actor(self, actor: Actor) -> None:
        self.actor = actor
        self.notify(_("signed in as {name}").format(name=actor.name))
        self._start()

    def _start(self) -> None:
        assert self.actor is not None
        self.sub_title = one_line(f"{self.actor.name} · {label('role', self.actor.role)}")
        self._change_presence(self.actor, cycle=False)
        if self._timezone_name is None:
            self._load_timezone(self.actor.id)
        mode = self.start_mode
        if mode in SUPERVISOR_ONLY and not self.actor.is_supervisor:
            mode = "inbox"
        self._switch(mode)
        self.set_interval(1.0, self._tick, name="countdowns")
        self.poll_changes()
        if self.poll_interval:
            self.set_interval(self.poll_interval, self._poll_tick, name="live")
            self._listen(self.actor)
        if self.clock_interval:
            self._run_clock(self.actor.login, self.clock_interval)
        self.set_timer(heap.SETTLE_AFTER, heap.settle, name="settle heap")

    @work(thread=True, exit_on_error=False, group="sla-clock", exclusive=True)
    def _run_clock(self, login: str, every: float) -> None:
        """Take part in the SLA clock until the app closes; a tick that recorded something
        refreshes this workstation's lists at once."""

        def ran(run: lease.TickRun) -> None:
            if run.report.total:
                with contextlib.suppress(RuntimeError):  # the app is closing
                    self.call_from_thread(self.poll_changes)

        self._clock_thread = threading.current_thread()
        if not db.may_run_clock(self.desk.engine):
            return  # an agent's role on a shared database: `casedesk worker` runs the clock
        lease.run_clock(self.desk, login, self._clock_stop, every, on_tick=ran)

    def on_unmount(self) -> None:
        """Stop taking part in the clock and give the lease up before the app is gone
        (another workstation takes over at its next tick instead of two ticks later)."""
        self._clock_stop.set()
        if self._listener is not None:
            self._listener.stop()
        if self._clock_thread is not None:
            self._clock_thread.join(timeout=5)

    def first_data_shown(self) -> None:
        """A screen has drawn its first rows: now load what can wait (the SLA policies'
        targets, ~50 ms of Python that would otherwise compete with the first page)."""
        if not self._targets_requested:
            self._targets_requested = True
            self._load_targets()

    @work(thread=True, exit_on_error=False, group="timezone")
    def _load_timezone(self, agent_id: int) -> None:
        name = board.agent_timezone(self.desk, agent_id)
        self.call_from_thread(setattr, self, "tz", self._zone(name))

    @work(thread=True, exit_on_error=False, group="targets")
    def _load_targets(self) -> None:
        targets = explanations.targets_by_name(self.desk)
        self.call_from_thread(self._set_targets, targets)

    def _set_targets(self, targets: dict[str, PolicyTargets]) -> None:
        self.policy_targets = targets
        self._tick()

    def targets_for(self, policy: str | None) -> PolicyTargets | None:
        """The targets of a policy by name (None until loaded, or without a policy)."""
        return self.policy_targets.get(policy) if policy else None

    # --- live -------------------------------------------------------------------------

    def _tick(self) -> None:
        screen = self.desk_screen()
        if screen is not None and screen.ready and screen.is_attached:
            with contextlib.suppress(NoMatches):  # torn down while the app closes
                screen.tick()

    def desk_screen(self) -> DeskScreen | None:
        """The workstation screen at the bottom of the current mode's stack."""
        return desk_screen(self.screen_stack)

    #: PostgreSQL: the connection that hears pushed changes (None: polling only).
    _listener: Any = None
    #: A pushed change arrived while a poll ran: poll again when it returns.
    _repoll = False
    #: Polls skipped since the last one (while changes are pushed, polling is the fallback).
    _quiet_ticks = 0
    #: While a listener hears the database, poll only every this many ticks.
    PUSHED_POLL_EVERY = 5

    def _poll_tick(self) -> None:
        """Once a second: poll, unless the previous poll is still running (slow database);
        while pushed changes are heard, only every :attr:`PUSHED_POLL_EVERY` ticks."""
        listener = self._listener
        if listener is not None and listener.listening.is_set():
            self._quiet_ticks += 1
            if self._quiet_ticks < self.PUSHED_POLL_EVERY:
                return
        self._quiet_ticks = 0
        if not self._polling:
            self.poll_changes()

    @work(thread=True, exit_on_error=False, group="listen")
    def _listen(self, actor: Actor) -> None:
        """PostgreSQL: listen for the changes the database pushes (this agent's bin, its
        queues' inboxes; the whole floor for supervisors); each one polls the change token
        at once, which refreshes the visible lists when something they show moved."""
        from casedesk.services.directory import queue_setup
        from casedesk.services.queries import notify

        if not notify.supported(self.desk.engine) or self._listener is not None:
            return
        channels = [notify.bin_channel(actor.id)]
        channels += [
            notify.queue_channel(q.id) for q in queue_setup.list_queues(self.desk, member=actor.id)
        ]
        if actor.is_supervisor:
            channels.append(notify.FLOOR)
        self._listener = notify.Listener(
            self.desk.engine, channels, self._pushed, self._pushed_state
        ).start()

    def _pushed(self, _change: Any) -> None:
        """The listener's thread: a change was pushed."""
        with contextlib.suppress(RuntimeError):  # the app is closing
            self.call_from_thread(self._poll_now)

    def _pushed_state(self, _up: bool) -> None:
        """The listener's thread: it (re)connected — reload once, changes made while it
        was away were not heard — or lost the server: a poll at once says so on the
        status line (and the one after the listener is back clears it)."""
        with contextlib.suppress(RuntimeError):
            self.call_from_thread(self._poll_now)

    def _poll_now(self) -> None:
        if self._polling:
            self._repoll = True
        else:
            self.poll_changes()

    @work(thread=True, exit_on_error=False, group="live")
    def poll_changes(self, force: bool = False) -> None:
        """Compare the change token with the last one; refresh the visible lists if it moved."""
        self._polling = True
        try:
            token = live.change_token(self.desk)
        except Exception:  # noqa: BLE001 - a missed poll is said, and retried a second later
            self.call_from_thread(self._poll_failed)
            return
        self.call_from_thread(self._token_seen, token, force)

    def _poll_failed(self) -> None:
        self._polling = False
        if self.unreachable_since is None:
            self.unreachable_since = self.now()
            self._db_status_changed()

    def _token_seen(self, token: tuple[Any, ...] | None, force: bool = False) -> None:
        self._polling = False
        back = self.unreachable_since is not None
        if back:
            self.unreachable_since = None
            self._db_status_changed()
        baseline = self.token is None
        moved = token is not None and token != self.token
        if token is not None:
            self.token = token
        if force or back or (moved and not baseline):
            self.generation += 1
            screen = self.desk_screen()
            if screen is not None:
                screen.refresh_if_stale()
        if self._repoll:
            self._repoll = False
            self.poll_changes()

    def data_changed(self) -> None:
        """This workstation changed something: refresh now rather than at the next poll."""
        self.poll_changes(force=True)

    # --- connection state -------------------------------------------------------------

    @property
    def db_status(self) -> str:
        """What the status line says about the database ("" when all is well)."""
        if self.unreachable_since is not None:
            since = self.unreachable_since.astimezone(self.tz).strftime("%H:%M:%S")
            return _("database unreachable — retrying · lists may be stale (since {since})"
                     ).format(since=since)
        if self._slow_writes:
            return _("waiting for the database — another write holds the lock…")
        return ""

    def _db_status_changed(self) -> None:
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, DeskScreen) and screen.is_attached:
                    screen.show_db_status(self.db_status)

    @on(messages.WriteStarted)
    def _write_started(self, event: messages.WriteStarted) -> None:
        """A change began: if it has not returned after 2 s, the status line says so."""
        seq = event.seq
        self._pending_writes[seq] = self.set_timer(2.0, lambda: self._write_slow(seq))

    def _write_slow(self, seq: int) -> None:
        if self._pending_writes.get(seq) is not None:
            self._pending_writes[seq] = None
            self._slow_writes += 1
            self._db_status_changed()

    @on(messages.WriteFinished)
    def _write_finished(self, event: messages.WriteFinished) -> None:
        """The change ``event.seq`` returned (done or refused)."""
        if event.seq not in self._pending_writes:
            return
        timer = self._pending_writes.pop(event.seq)
        if timer is None:
            self._slow_writes -= 1
            self._db_status_changed()
        else:
            timer.stop()

    # --- presence (F8) -------------------------------------------------------------------

    def action_presence(self) -> None:
        """Move my presence on: available → away → offline → available."""
        if self.actor is not None:
            self._change_presence(self.actor, cycle=True)

    @work(thread=True, exit_on_error=False, group="presence")
    def _change_presence(self, actor: Actor, cycle: bool) -> None:
        """Change (``cycle``) or just read the signed-in agent's presence, off the main thread."""
        try:
            if cycle:
                change = presence.next_presence(self.desk, actor)
            else:
                change = presence.presence_of(self.desk, actor.login)
        except CaseDeskError as exc:
            self.call_from_thread(self.notify, error_message(exc), severity="error")
            return
        self.call_from_thread(self._show_presence, change, cycle)

    def _show_presence(self, change: PresenceView, changed: bool) -> None:
        self.presence = change.status
        for stack in self._screen_stacks.values():
            for screen in stack:
                if isinstance(screen, DeskScreen) and screen.is_attached:
                    screen.show_presence()
        if changed:
            self.notify(_("you are {presence} now").format(
                presence=label("agent_status", change.status)))
            if change.returned:
                self.notify(_("returned to their queues: {cases}").format(
                    cases=", ".join(change.returned)))
            self.data_changed()

    # --- quitting ---------------------------------------------------------------------

    def unsaved_work(self) -> str | None:
        """What quitting now would lose (a running call timer, a half-logged call), as a
        sentence, or None."""
        from textual.widgets import Input, TextArea

        from casedesk.durations import stopwatch
        from casedesk.widgets.call_timer import CallTimer

        for stack in self._screen_stacks.values():
            for screen in stack:
                for timer in screen.query(CallTimer):
                    if timer.running:
                        return _("A call timer is running ({time} on the call) and the call "
                                 "is not logged yet.").format(time=stopwatch(timer.elapsed()))
                    if timer.started_at is not None:
                        return _("A call has ended but is not logged yet (after-call work).")
                typed = [w.value for w in screen.query("#log-subject").results(Input)]
                typed += [w.text for w in screen.query("#log-notes").results(TextArea)]
                if any(t.strip() for t in typed):
                    return _("An interaction is half logged on the interaction log (F2).")
        return None

    async def action_quit(self) -> None:
        """ctrl+q: quit at once, or ask first when quitting would lose unsaved work
        (default No; Esc is No)."""
        from casedesk.screens.modals import ConfirmPrompt

        if isinstance(self.screen, ConfirmPrompt):
            return  # already asking
        unsaved = self.unsaved_work()
        if unsaved is None:
            self.exit()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit()

        self.push_screen(ConfirmPrompt(_("Quit and lose unsaved work?"), unsaved,
                                       yes=_("Quit")),
                         answered)

    # --- navigation -------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Screen keys are hidden until somebody has signed in."""
        return not (action in ("go", "presence") and self.actor is None)

    def action_go(self, mode: str) -> None:
        """Switch to one of the workstation's screens."""
        if self.actor is None:
            return
        if mode in SUPERVISOR_ONLY and not self.actor.is_supervisor:
            self.notify(
                _("only supervisors may open the supervisor view; the role of {login} is "
                  "{role}").format(login=self.actor.login, role=label("role", self.actor.role)),
                severity="error",
            )
            return
        self.action_hide_help_panel()
        self._switch(mode)

    def _switch(self, mode: str) -> DeskScreen:
        if mode != self.current_mode:
            self.previous_mode = self.current_mode
        self.switch_mode(mode)
        screen = self.screen_stack[0]
        assert isinstance(screen, DeskScreen)
        return screen

    def go_back(self) -> None:
        """Back to the screen before the current one (the inbox if none)."""
        mode = self.previous_mode if self.previous_mode in SCREENS else "inbox"
        self._switch(mode or "inbox")

    def open_case(self, number: str | int) -> None:
        """Show a case on the case screen (from any screen)."""
        self._switch("case").post_message(messages.ShowCase(str(number)))

    def log_for_case(self, case: CaseDetail) -> None:
        """Open the interaction log ready to save onto ``case``."""
        self._switch("log").post_message(messages.PrepareLog(case))

    def show_article(self, label: str) -> None:
        """Open the knowledge screen on an article."""
        self._switch("knowledge").post_message(messages.PreviewArticle(label))

    # --- what screens ask for (messages.py) -------------------------------------------

    @on(messages.OpenCase)
    def _open_case(self, event: messages.OpenCase) -> None:
        self.open_case(event.number)

    @on(messages.LogForCase)
    def _log_for_case(self, event: messages.LogForCase) -> None:
        self.log_for_case(event.case)

    @on(messages.ShowArticle)
    def _show_article(self, event: messages.ShowArticle) -> None:
        self.show_article(event.label)

    @on(messages.GoTo)
    def _go_to(self, event: messages.GoTo) -> None:
        self.action_go(event.mode)

    @on(messages.GoBack)
    def _go_back(self, event: messages.GoBack) -> None:
        self.go_back()

    @on(messages.DataChanged)
    def _data_changed(self, event: messages.DataChanged) -> None:
        self.data_changed()

    @on(messages.CaseShown)
    def _case_shown(self, event: messages.CaseShown) -> None:
        self.current_case = event.label

    @on(messages.FirstDataShown)
    def _first_data_shown(self, event: messages.FirstDataShown) -> None:
        self.first_data_shown()

    def action_help(self) -> None:
        """F1: the desk's help for the current screen (its keys first, then the global
        keys, the field's, and a legend of SLA colours and statuses), or close it."""
        from casedesk.screens.help import HelpScreen, help_content

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        screen = self.desk_screen()
        name = _(screen.LABEL) if screen is not None and screen.LABEL else "casedesk"
        title = _("Help: {screen}").format(screen=name)
        self.push_screen(HelpScreen(help_content(self, title, self.tz.key)))

    def get_key_display(self, binding: Binding) -> str:
        """A key as the footer and the help show it, its name in the reader's language
        (``pgdn`` / ``AvPág``)."""
        return key_display(super().get_key_display(binding))

    # --- the command palette ----------------------------------------------------------

    def action_command_palette(self) -> None:
        """ctrl+p: the palette, in the reader's language."""
        if self.use_command_palette and not DeskPalette.is_open(cast("App[object]", self)):
            self.push_screen(DeskPalette(id="--command-palette"))

    def search_themes(self) -> None:
        """The theme picker, in the reader's language."""
        from textual.theme import ThemeProvider

        self.push_screen(DeskPalette(providers=[ThemeProvider],
                                     placeholder="Search for themes…"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The Textual commands the desk keeps, after its own (see
        :mod:`casedesk.commands`): theme, screenshot and quit (which asks first when
        work would be lost)."""
        yield SystemCommand(_("Theme"), _("Change the colours of the workstation"),
                            self.action_change_theme)
        yield SystemCommand(_("Screenshot"),
                            _("Save a picture (SVG) of the screen in your downloads folder"),
                            lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand(_("Quit"), _("Leave the workstation (ctrl+q)"), self.action_quit)

    def action_help_quit(self) -> None:
        """ctrl+c outside a text field: say how to quit (Textual's notice, translated)."""
        for key, active in self.active_bindings.items():
            if active.binding.action in ("quit", "app.quit"):
                self.notify(_("Press {key} to quit the workstation").format(
                    key=key_display(format_key(key))), title=_("Do you want to quit?"))
                return

    # --- language -----------------------------------------------------------------------

    def action_choose_language(self) -> None:
        """"Idioma / Language": pick the language the workstation speaks."""
        from casedesk.commands import LANGUAGE_COMMAND
        from casedesk.screens.modals import ChoicePrompt

        if self._language_refused():
            return
        now = language()
        choices = [(name, code) for code, name in LANGUAGES.items() if code != now]
        choices += [(LANGUAGES[now], now)]

        def chosen(code: str | None) -> None:
            if code:
                self.call_later(self.switch_language, code)

        self.push_screen(ChoicePrompt(LANGUAGE_COMMAND, choices), chosen)

    def _language_refused(self) -> bool:
        """Say why the language cannot change now (typed work would be lost), if so."""
        unsaved = self.unsaved_work()
        if unsaved is None:
            return False
        self.notify(_("The language stays as it is while there is unsaved work: {why} "
                      "Save or finish it, then switch.").format(why=unsaved),
                    severity="warning")
        return True

    async def switch_language(self, code: str, *, remember: bool = True) -> bool:
        """Speak ``code`` from now on: remember it in the config file, translate every
        key hint, and build every screen again so each label is in the new language.
        Refused (False, with a notification) while there is unsaved work."""
        if code not in LANGUAGES or self._language_refused():
            return False
        if remember:
            try:
                write_config_value("language", code)
            except (OSError, CaseDeskError) as exc:
                self.notify(_("The language is not remembered: {error}").format(
                    error=one_line(str(exc))), severity="warning")
        set_language(code)
        localize_node(self)
        for stack in self._screen_stacks.values():
            for screen in stack:
                for node in screen.walk_children(with_self=True):
                    localize_node(node)
        await self._rebuild_screens()
        self.refresh_bindings()
        if self.actor is not None:
            self.sub_title = one_line(f"{self.actor.name} · {label('role', self.actor.role)}")
        self.notify(_("The workstation speaks {language} now.").format(
            language=LANGUAGES[code]))
        return True

    async def _rebuild_screens(self) -> None:
        """Every screen made again (the one shown last, on top of its mode again)."""
        from casedesk.screens.signin import SignInScreen

        for screen in self.screen_stack:
            if isinstance(screen, SignInScreen):
                await screen.relocalize()
        current = self.current_mode
        if current not in SCREENS or self.actor is None:
            return
        for mode in SCREENS:
            if mode != current and mode in self._modes:
                await self.remove_mode(mode)
                self.add_mode(mode, screen_factory(mode))
        stand_in = "log" if current != "log" else "inbox"
        previous = self.previous_mode
        await self.switch_mode(stand_in)
        await self.remove_mode(current)
        self.add_mode(current, screen_factory(current))
        await self.switch_mode(current)
        self.previous_mode = previous
        if current == "case" and self.current_case:
            self.screen_stack[0].post_message(messages.ShowCase(self.current_case))

    # --- notifications ----------------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Show a toast and keep it in :attr:`notices`: never markup (service messages quote
        what people typed), terminal controls shown visibly. Textual's own screenshot
        notices are said in the reader's language (and without their markup)."""
        if title == "Screenshot":
            title, message = _textual_screenshot_notice(message)
        message = visible(message)
        self.notices.append((severity, message))
        super().notify(
            message,
            title=title,
            severity=severity,
            timeout=timeout,
            markup=markup,
        )


def _textual_screenshot_notice(message: str) -> tuple[str, str]:
    """(title, message) of Textual's screenshot notice in the reader's language."""
    prefix = "Saved screenshot to [$text-success]"
    if message.startswith(prefix):
        path = message[len(prefix):].strip("'\"")
        return _("Screenshot"), _("Screenshot saved to {path}").format(path=path)
    if message.startswith("Failed"):
        return _("Screenshot"), _("The screenshot could not be saved")
    return _("Screenshot"), _("Screenshot saved")


def build_workstation(state: Any) -> CaseDeskApp:
    """The workstation on the configured database as the configured agent.

    ``state`` is the CLI's :class:`~casedesk.cli.state.CliState`. A database without the
    current schema raises ``SchemaOutdated`` before anything is drawn (the CLI prints its
    one line and exits 2). An unknown or missing agent login opens the sign-in screen.

    On PostgreSQL the connected role is who signs in (``--as`` for admins only, see
    :meth:`~casedesk.services.context.Desk.identify`); a server that wants a password opens
    the sign-in screen asking for it.
    """
    settings: Settings = state.settings
    try:
        desk = state.desk(ask=False)
    except PasswordNeeded:
        url = db.normalise_url(state.database_url)
        if url.get_backend_name() == "sqlite":
            raise

        def reconnect(password: str) -> tuple[Desk, Actor]:
            engine = db.open_database(state.database_url, password=password)
            new = Desk(engine, state.clock, reopen_days=settings.reopen_days,
                       offline_returns_cases=settings.offline_returns_cases)
            try:
                return new, new.identify(state.claimed_login())
            except BaseException:
                engine.dispose()
                raise

        placeholder = Desk(db.make_engine(state.database_url), state.clock)
        where = f"{url.username or 'you'}@{url.host or 'localhost'}/{url.database or ''}"
        return CaseDeskApp(placeholder, None, settings=settings, reconnect=reconnect,
                           password_for=where)
    if desk.shared:
        me: Actor = state.actor()  # the connected role; a refusal is the CLI's one line
        return CaseDeskApp(desk, me, timezone=board.agent_timezone(desk, me.id),
                           settings=settings)
    login = settings.agent_login
    actor: Actor | None = None
    notice = None
    if login:
        try:
            actor = desk.actor(login)
        except CaseDeskError as exc:
            notice = error_message(exc)
    timezone = board.agent_timezone(desk, actor.id) if actor else None
    return CaseDeskApp(desk, actor, timezone=timezone, notice=notice, settings=settings)


def run_workstation(state: Any) -> None:
    """Open the workstation (:func:`build_workstation`) and run it until it is closed."""
    build_workstation(state).run()
