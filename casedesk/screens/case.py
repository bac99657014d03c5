"""Case detail: header, SLA panel with live countdowns, tasks, timeline, suggestions, actions.

Keys: the status keys (``s`` start, ``w`` wait for the customer, ``u`` resume, ``v`` resolve,
``c`` close, ``o`` reopen, ``x`` cancel), ``d`` dispatch, ``a`` accept, ``n`` note, ``l`` log
time, ``e`` edit its fields, ``t`` add a task, ``m`` mark the highlighted task done, ``p`` link
to a parent case, ``h`` the customer's history, ``r`` the customer at a glance, ``k``
knowledge search for this case, ``i`` log an interaction on it, ``g`` go to another case,
Escape back to where you came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from casedesk.errors import CaseDeskError
from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label as code_label
from casedesk.plain import cell, plain
from casedesk.screens import messages
from casedesk.screens.actions import CaseActions, status_bindings
from casedesk.screens.applies import case_key_applies
from casedesk.screens.base import error_message
from casedesk.screens.history import HistoryModal
from casedesk.screens.modals import CaseEditForm, TaskForm, TextPrompt, TimeForm, TimeSpent
from casedesk.services.contracts import entitlements
from casedesk.services.contracts.views import LineStatus
from casedesk.services.knowledge import freshness, guidance
from casedesk.services.numbers import case_label, parse_case_number
from casedesk.services.queries import reads
from casedesk.services.queries.views import CaseDetail, CaseTime, TaskView, TimelineEntry
from casedesk.services.sla.calendar import BusinessCalendar
from casedesk.services.sla.clocks import ClockState
from casedesk.services.workflow import cases, tasks, timelog, transitions
from casedesk.textsafe import one_line, visible
from casedesk.widgets.footer import DeskFooter
from casedesk.widgets.sla import STATE_STYLE, SlaPanel, left_text, local, policy_calendar

_KIND_STYLE = {
    "create": "bold",
    "resolve": "bold green",
    "close": "green",
    "reopen": "yellow",
    "cancel": "red",
    "note": "italic",
    "interaction": "cyan",
    "time": "magenta",
    "sla_breach": "bold red",
    "sla_warning": "yellow",
}


def customer_line(c: CaseDetail) -> str:
    """``Juan Pérez · +34 600 111 222 · juan@… · Pérez Hogar (gold)``: the account only
    when it is not named as the person (a private customer's account carries their name)."""
    bits = [c.contact or "—"]
    bits += [b for b in (c.contact_phone, c.contact_email) if b]
    if c.account and c.account != c.contact:
        tier = f" ({code_label('tier', c.account_tier)})" if c.account_tier else ""
        bits.append(c.account + tier)
    elif c.account_tier:
        bits.append(code_label("tier", c.account_tier))
    return " · ".join(bits)


#: Seconds between two looks at whether the knowledge base changed (suggestions follow).
GUIDANCE_RECHECK = 10


@dataclass(frozen=True)
class CaseBundle:
    """Everything the case screen shows, read in one worker."""

    case: CaseDetail
    timeline: list[TimelineEntry]
    tasks: list[TaskView]
    #: time on the case and its child cases; the contract line it counts against
    time: CaseTime | None = None
    line: LineStatus | None = None


@dataclass(frozen=True)
class Guidance:
    """Suggested articles and similar cases for the case on screen."""

    case: str
    articles: list[tuple[str, str]]
    similar: list[tuple[str, str]]
    #: the knowledge base as these were read
    token: freshness.Token | None = None


class CaseScreen(CaseActions):
    """One case, everything about it, and every operation on it."""

    LABEL = N_("Case")
    AUTO_FOCUS = "#case-timeline"
    BINDINGS: ClassVar[list[BindingType]] = [
        # shown only where they apply to the case on screen (check_action)
        *status_bindings({"start", "wait", "resume", "resolve", "close_case", "reopen",
                          "note"}),
        Binding("a", "accept", "Accept", id="case-accept"),
        Binding("e", "edit", "Edit case", id="case-edit", show=False),
        Binding("t", "add_task", "Task", id="case-task"),
        Binding("m", "complete_task", "Task done", id="case-task-done", show=False),
        Binding("p", "link_parent", "Link parent", id="case-parent", show=False),
        Binding("h", "history", "History", id="case-history", show=False),
        Binding("k", "knowledge", "Knowledge for this case", id="case-knowledge", show=False),
        Binding("i", "interaction", "Log interaction", id="case-interaction", show=False),
        Binding("g", "goto", "Go to case", id="case-goto", show=False),
        Binding("r", "customer", "Customer", id="case-customer", show=False,
                tooltip=N_("The case's customer at a glance: products, contracts, cases")),
        Binding("escape", "back", "Back", id="case-back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.number: str | None = None
        self._previous: str | None = None
        self.bundle: CaseBundle | None = None
        self.guidance: Guidance | None = None
        #: the knowledge base as the suggestions shown were read (see :meth:`tick`)
        self._articles: freshness.Token | None = None
        self._ticks = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="case-header")
        yield Input(placeholder=_("Case number, e.g. CS-000123 — Enter opens it"),
                    id="case-goto")
        with Horizontal(id="case-body"):
            with Vertical(id="case-main"):
                yield Static("SLA", classes="pane-title")
                yield SlaPanel(self.now, self.tz, self.workstation.targets_for, id="case-sla")
                yield Static(_("Tasks"), classes="pane-title")
                yield DataTable(id="case-tasks", cursor_type="row")
                yield Static(_("Timeline (newest first)"), classes="pane-title")
                yield DataTable(id="case-timeline", cursor_type="row")
            with Vertical(id="case-side", classes="side"):
                yield Static(_("Description"), classes="pane-title")
                with VerticalScroll(id="case-description-box"):
                    yield Static("", id="case-description")
                yield Static(_("Suggested articles"), classes="pane-title")
                yield OptionList(id="case-articles")
                yield Static(_("Similar cases"), classes="pane-title")
                yield OptionList(id="case-similar")
        yield DeskFooter()

    def on_mount(self) -> None:
        task_table = self.query_one("#case-tasks", DataTable)
        for key, name, width in (("state", _("State"), 9), ("title", _("Task"), 28),
                                 ("assignee", _("Who"), 10), ("due", _("Due"), 11),
                                 ("left", _("Left"), 9)):
            task_table.add_column(name, key=key, width=width)
        timeline = self.query_one("#case-timeline", DataTable)
        columns: tuple[tuple[str, str, int | None], ...] = (
            ("when", _("When"), 11), ("who", _("Who"), 14), ("what", _("What"), 11),
            ("details", _("Details"), None),
        )
        for key, name, column_width in columns:
            timeline.add_column(name, key=key, width=column_width)
        if self.number is None:
            self._show_goto()

    # --- loading ------------------------------------------------------------------------

    @on(messages.ShowCase)
    def _show_asked(self, event: messages.ShowCase) -> None:
        """The app switched here to show a case."""
        self.show_case(event.number)

    def show_case(self, number: str) -> None:
        """Open ``number`` on this screen (the app switches to it first)."""
        try:
            label = case_label(parse_case_number(number))
        except CaseDeskError as exc:
            self.app.notify(str(exc), severity="error")  # the app's notify: plain text
            return
        if label != self.number:
            self._previous = self.number
            self.number = label
            self.bundle = None
            self.guidance = None
        if self.ready:
            self.refresh_data()

    def refresh_data(self) -> None:
        if self.number is None:
            return
        number = self.number
        self.load(
            "case",
            partial(self._fetch, number),
            then=self._show,
            busy=self.query_one("#case-body") if self.bundle is None else None,
            failed=self._not_loaded,
        )
        if self.guidance is None or self.guidance.case != number:
            self.load(
                "case-guidance",
                partial(self._fetch_guidance, number),
                then=self._show_guidance,
                failed=lambda exc: None,
            )

    def check_articles(self) -> None:
        """Re-read the suggestions when an article was added, edited or published since
        they were read (the knowledge base is not part of the workstation's change poll)."""
        if self.number is None:
            return
        self.load("case-articles-token", partial(freshness.articles_token, self.desk),
                  then=self._articles_read, failed=lambda exc: None)

    def _articles_read(self, token: freshness.Token) -> None:
        before, self._articles = self._articles, token
        if before is not None and token != before and self.number is not None:
            number = self.number
            self.load("case-guidance", partial(self._fetch_guidance, number),
                      then=self._show_guidance, failed=lambda exc: None)

    def _not_loaded(self, exc: BaseException) -> None:
        """The case could not be read (e.g. no such number): say so, keep the last one."""
        self.app.notify(error_message(exc), severity="error")
        if self.bundle is None or self.bundle.case.label != self.number:
            self.number = self._previous
            self.post_message(messages.CaseShown(self._previous))
            if self.number is None:
                self._show_goto()
            else:
                self.refresh_data()

    def _fetch(self, number: str) -> CaseBundle:
        """Runs in a worker: the case, its timeline and its tasks."""
        detail = reads.get_case(self.desk, number)
        return CaseBundle(
            detail,
            reads.timeline(self.desk, number),
            tasks.list_tasks(self.desk, case=number, include_done=True),
            timelog.case_time(self.desk, number),
            entitlements.case_line(self.desk, number, self.actor.id),
        )

    def _fetch_guidance(self, number: str) -> Guidance:
        """Runs in a worker: suggested articles and similar cases."""
        token = freshness.articles_token(self.desk)
        found = guidance.guidance(self.desk, number)
        articles = [(a.label, a.title) for a in found.articles]
        similar = [
            (c.label, f"{c.title} ("
                      + (code_label("resolution", c.resolution_type) if c.resolution_type
                         else code_label("status", c.status)) + ")")
            for c in found.cases
        ]
        return Guidance(number, articles, similar, token)

    def _show(self, bundle: CaseBundle) -> None:
        if bundle.case.label != self.number:
            return
        self.bundle = bundle
        self.post_message(messages.CaseShown(bundle.case.label))
        goto = self.query_one("#case-goto", Input)
        if goto.display:
            goto.display = False
            self.query_one("#case-timeline", DataTable).focus()
        self._render_header(bundle.case)
        self.refresh_bindings()
        self.query_one("#case-sla", SlaPanel).show(bundle.case)
        self.query_one("#case-description", Static).update(
            plain(bundle.case.description) if bundle.case.description
            else Text(_("no description"), style="dim")
        )
        self._render_tasks(bundle.tasks)
        self._render_timeline(bundle.timeline)

    def _show_guidance(self, guidance: Guidance) -> None:
        if guidance.case != self.number:
            return
        self.guidance = guidance
        self._articles = guidance.token
        articles = self.query_one("#case-articles", OptionList)
        articles.clear_options()
        articles.add_options(
            [Option(cell(f"{label} {title}"), id=label) for label, title in guidance.articles]
            or [Option(Text(_("no suggestions"), style="dim"), disabled=True)]
        )
        similar = self.query_one("#case-similar", OptionList)
        similar.clear_options()
        similar.add_options(
            [Option(cell(f"{label} {title}"), id=label) for label, title in guidance.similar]
            or [Option(Text(_("none found"), style="dim"), disabled=True)]
        )

    def _render_header(self, c: CaseDetail) -> None:
        text = Text()
        text.append(f"{c.label}  ", style="bold")
        text.append(one_line(c.title), style="bold")
        text.append(f"   [{code_label('status', c.status)}]", style="bold cyan")
        text.append("\n" + _("Customer") + " ", style="dim")
        text.append(one_line(customer_line(c)))
        text.append("\n" + _("Priority") + " ", style="dim")
        text.append(code_label("priority", c.priority),
                    style="bold red" if c.priority == "high" else "")
        text.append("  " + _("Severity") + " ", style="dim")
        text.append(code_label("severity", c.severity),
                    style="bold red" if c.severity == "critical" else "")
        text.append("  " + _("Owner") + " ", style="dim")
        text.append(one_line(c.owner_name or _("— (in queue)")))
        text.append("  " + _("Queue") + " ", style="dim")
        text.append(one_line(c.queue or "—"))
        text.append("  " + _("Area") + " ", style="dim")
        text.append(code_label("area", c.area))
        if c.contract_line:
            text.append("  " + _("Contract") + " ", style="dim")
            text.append(one_line(c.contract_line))
        if c.parent:
            text.append("  " + _("Parent") + " ", style="dim")
            text.append(c.parent)
        if c.children:
            text.append("  " + _("Children") + " ", style="dim")
            text.append(", ".join(c.children))
        if c.resolution_type:
            text.append("\n" + _("Resolution") + " ", style="dim")
            text.append(visible(f"{code_label('resolution', c.resolution_type)}: "
                                f"{c.resolution_notes or ''}"), style="green")
        if self.bundle is not None and self.bundle.case.label == c.label and (
                self.bundle.time is not None or self.bundle.line is not None):
            text.append("\n")
            text.append_text(self._time_text(self.bundle))
        self.query_one("#case-header", Static).update(text)

    @staticmethod
    def _time_text(bundle: CaseBundle) -> Text:
        """Time with child cases and what the contract line still allows (a header line)."""
        text = Text()
        total = bundle.time
        if total is not None:
            text.append(_("Time") + " ", style="dim")
            if total.children:
                text.append(ngettext(
                    "{total} min with {n} child case ({own} min on this one)",
                    "{total} min with {n} child cases ({own} min on this one)",
                    len(total.children),
                ).format(total=total.total_minutes, n=len(total.children),
                         own=total.own_minutes))
            else:
                text.append(_("{total} min").format(total=total.total_minutes))
        if bundle.line is not None:
            text.append("  ")
            text.append(one_line(bundle.line.words),
                        style="green" if bundle.line.state == "ok" else "bold yellow")
        return text

    def _render_tasks(self, items: list[TaskView]) -> None:
        table = self.query_one("#case-tasks", DataTable)
        keep = table.cursor_row
        table.clear()
        now = self.now()
        calendar = self._calendar()
        for t in items:
            st = self._task_state(t, now)
            table.add_row(
                Text(code_label("clock_state", st) if st else code_label("task_status", t.status),
                     style=STATE_STYLE.get(st or "", "dim")),
                cell(t.title, style="dim strike" if t.status != "open" else ""),
                cell(t.assignee or "—"),
                local(t.due_at, self.tz()),
                self._task_left(t, now, calendar),
                key=str(t.id),
            )
        if items:
            table.move_cursor(row=min(keep, len(items) - 1))

    @staticmethod
    def _task_state(t: TaskView, now: Any) -> ClockState | None:
        if t.state in (ClockState.met, ClockState.breached) or t.status != "open":
            return ClockState(t.state) if t.state else None
        st = tasks.task_state(t, now)
        if t.state == ClockState.warning and st == ClockState.ok:
            return ClockState.warning
        return st

    def _calendar(self) -> BusinessCalendar | None:
        """The calendar of the case on screen (its tasks count on it, as its clocks do)."""
        if self.bundle is None:
            return None
        return policy_calendar(self.bundle.case.sla_policy, self.workstation.targets_for)

    @staticmethod
    def _task_left(t: TaskView, now: Any, calendar: BusinessCalendar | None) -> str:
        """Business time to the task's due time on the case's SLA calendar, the one clock
        of every countdown (the Due column beside it: the wall time in the agent's zone)."""
        if t.status != "open" or t.due_at is None:
            return ""
        return left_text(calendar, now, t.due_at)

    @staticmethod
    def shown_entries(entries: list[TimelineEntry]) -> list[TimelineEntry]:
        """Newest first (``reads.timeline`` lists each interaction and time entry once)."""
        return list(reversed(entries))

    def _render_timeline(self, entries: list[TimelineEntry]) -> None:
        table = self.query_one("#case-timeline", DataTable)
        table.clear()
        tz = self.tz()
        for e in self.shown_entries(entries):
            table.add_row(
                local(e.at, tz),
                cell(e.actor or _("system")),
                Text(code_label("event", e.kind), style=_KIND_STYLE.get(e.kind, "")),
                cell(reads.details_text(e)),
            )

    def tick(self) -> None:
        self.query_one("#case-sla", SlaPanel).tick()
        self._ticks += 1
        if self._ticks % GUIDANCE_RECHECK == 0:
            self.check_articles()
        if self.bundle is None:
            return
        table = self.query_one("#case-tasks", DataTable)
        now = self.now()
        calendar = self._calendar()
        for t in self.bundle.tasks:
            if t.status == "open" and t.due_at is not None:
                st = self._task_state(t, now)
                table.update_cell(str(t.id), "left", self._task_left(t, now, calendar))
                table.update_cell(
                    str(t.id), "state",
                    Text(code_label("clock_state", st), style=STATE_STYLE.get(st or "", "dim")),
                )

    def _show_goto(self) -> None:
        goto = self.query_one("#case-goto", Input)
        goto.display = True
        goto.value = ""
        goto.focus()
        if self.number is None:
            self.query_one("#case-header", Static).update(
                Text(_("No case open: type its number, or pick one from a list (F3, F4)."),
                     style="dim")
            )

    # --- CaseActions --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers only the keys that apply to the case on screen."""
        case = self.bundle.case if self.bundle is not None else None
        return case_key_applies(action, case, self.actor.login, self.actor.is_supervisor)

    def target(self) -> tuple[str, int | None] | None:
        if self.bundle is None:
            return None
        return self.bundle.case.label, self.bundle.case.version

    def after_change(self, case: CaseDetail) -> None:
        if self.bundle is not None and case.label == self.number:
            self.bundle = CaseBundle(case, self.bundle.timeline, self.bundle.tasks,
                                     self.bundle.time, self.bundle.line)
            self._render_header(case)
            self.refresh_bindings()
            self.query_one("#case-sla", SlaPanel).show(case)

    # --- actions ------------------------------------------------------------------------

    def action_accept(self) -> None:
        """Take this case from its queue into my bin."""
        if self.bundle is None:
            return
        self.operate(
            partial(transitions.accept, self.desk, self.actor, self.bundle.case.label),
            done=lambda c: _("{case} is in your bin").format(case=c.label),
            then=self.after_change,
        )

    def action_edit(self) -> None:
        """Edit the case's fields (refused, with who changed what, if it changed since)."""
        if self.bundle is None:
            return
        c = self.bundle.case
        label, version = c.label, c.version
        form = CaseEditForm(
            label,
            title=c.title,
            description=c.description,
            area=c.area,
            priority=c.priority,
            severity=c.severity,
            contact_id=c.contact_id,
            contract_line=c.contract_line,
        )
        self.write_from(
            form,
            lambda changes: cases.update_case(
                self.desk, self.actor, label, version=version, **changes
            ),
            done=lambda case: _("{case} edited").format(case=case.label),
            then=self.after_change,
        )

    def action_add_task(self) -> None:
        """Add a task with a due time."""
        if self.bundle is None:
            return
        label = self.bundle.case.label

        self.write_from(
            TaskForm(label),
            lambda spec: tasks.add_task(
                self.desk, self.actor, title=spec.title, case=label, due_in=spec.due_in
            ),
            done=_("task added to {case}").format(case=label),
        )

    def action_complete_task(self) -> None:
        """Mark the highlighted task done."""
        if self.bundle is None:
            return
        open_tasks = self.bundle.tasks
        table = self.query_one("#case-tasks", DataTable)
        if not open_tasks or table.cursor_row < 0 or table.cursor_row >= len(open_tasks):
            self.app.notify(_("no task selected"), severity="warning")
            return
        task = open_tasks[table.cursor_row]
        self.operate(
            partial(tasks.complete_task, self.desk, self.actor, task.id),
            done=lambda t: _("task done: {title} ({state})").format(
                title=t.title, state=code_label("clock_state", t.state)),
        )

    def action_link_parent(self) -> None:
        """Make another case this one's parent (a major case)."""
        target = self.target()
        if target is None:
            return

        self.write_from(
            TextPrompt(_("Parent case of {case}").format(case=target[0]),
                       placeholder="CS-000123"),
            lambda parent: cases.link_parent(
                self.desk, self.actor, target[0], parent, version=target[1]
            ),
            done=lambda c: _("{case} linked to parent {parent}").format(case=c.label,
                                                                         parent=c.parent),
            then=self.after_change,
        )

    def action_history(self) -> None:
        """The customer's interactions, cases, products and contracts; a case chosen
        there opens here. (A callback, not ``push_screen_wait``: a worker waiting on an
        open modal would keep ``workers.wait_for_complete()`` waiting in the tests.)"""
        if self.bundle is None or self.bundle.case.contact_id is None:
            self.app.notify(_("this case has no customer"), severity="warning")
            return
        self.app.push_screen(HistoryModal(self.bundle.case.contact_id), self._history_chosen)

    def action_customer(self) -> None:
        """The case's customer at a glance (a case chosen there opens here)."""
        if self.bundle is None or self.bundle.case.contact_id is None:
            self.app.notify(_("this case has no customer"), severity="warning")
            return
        from casedesk.screens.customer import CustomerScreen

        self.app.push_screen(CustomerScreen(contact_id=self.bundle.case.contact_id))

    def action_log_time(self) -> None:
        """Record minutes of work on the case; they count against its minutes line, and
        an exhausted or expired line is said (never refused)."""
        if self.bundle is None:
            return
        label = self.bundle.case.label

        def write(value: TimeSpent) -> tuple[TimeSpent, CaseDetail]:
            return value, cases.log_time(self.desk, self.actor, label, value.minutes,
                                         value.note or None)

        self.write_from(TimeForm(label), write,
                        done=lambda r: _("{minutes} min logged on {case}").format(
                            minutes=r[0].minutes, case=label),
                        then=lambda r: self._time_logged(r[1]))

    def _time_logged(self, case: CaseDetail) -> None:
        self.after_change(case)
        self.load("case-line", partial(entitlements.case_line, self.desk, case.label,
                                       self.actor.id), then=self._say_line)

    def _say_line(self, line: LineStatus | None) -> None:
        if line is not None and line.allotment == "minutes" and line.state != "ok":
            self.app.notify(line.words, title=_("Contract"), severity="warning")

    def _history_chosen(self, label: str | None) -> None:
        if label:
            self.show_case(label)

    def action_knowledge(self) -> None:
        """Search the knowledge base for this case."""
        self.post_message(messages.GoTo("knowledge"))

    def action_interaction(self) -> None:
        """Log a call or e-mail on this case."""
        if self.bundle is None:
            return
        self.post_message(messages.LogForCase(self.bundle.case))

    def action_goto(self) -> None:
        """Open another case by number."""
        self._show_goto()

    def action_back(self) -> None:
        """Back to the screen you came from."""
        goto = self.query_one("#case-goto", Input)
        if goto.display and self.number is not None:
            goto.display = False
            self.query_one("#case-timeline", DataTable).focus()
            return
        self.post_message(messages.GoBack())

    @on(Input.Submitted, "#case-goto")
    def _goto(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.show_case(event.value.strip())

    @on(OptionList.OptionSelected, "#case-similar")
    def _similar(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.show_case(event.option.id)

    @on(OptionList.OptionSelected, "#case-articles")
    def _article(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.post_message(messages.ShowArticle(event.option.id))
