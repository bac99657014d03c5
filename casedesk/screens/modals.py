"""Small modal forms: a yes/no confirmation, a line of text, a choice, resolve, log time, a new
contact, a new case, a task. Each is a ``ModalScreen[T]`` that dismisses with its value, or
``None`` on Escape. Enter in the last field (or ctrl+s anywhere) submits; required fields
are checked here, the rules by the services.

A form given a write (:meth:`Form.writes`) stays open until that write has succeeded: it
runs in a worker, a refusal (any error: a rule, a lock timeout, a concurrent change) is
shown inside the form with everything typed still there, to correct and save again or to
cancel; after :data:`WAIT_NOTICE_AFTER` seconds without an answer the form says it is
waiting for the database. Everything shown that came from outside (titles, names, error
messages) is plain text (:func:`casedesk.plain.plain`), never markup."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.plain import cell, plain
from casedesk.screens.base import error_message
from casedesk.services.contracts.views import LineStatus
from casedesk.services.workflow.templates import TemplateSpec
from casedesk.textsafe import one_line

#: Seconds a write may take before the form says it is waiting for the database.
WAIT_NOTICE_AFTER = 2.0
WAITING = N_("waiting for the database — another write holds the lock…")
HINT = N_("Enter/ctrl+s save · Esc cancel")
#: The hint of a form with a multi-line field (where Enter adds a line).
HINT_MULTILINE = N_("ctrl+s save · Esc cancel")

_FORM_BINDINGS: list[BindingType] = [
    Binding("escape", "cancel", "Cancel", id="form-cancel"),
    Binding("ctrl+s", "submit", "Save", id="form-submit", priority=True),
]


class Form(ModalScreen[Any]):
    """Base of the modal forms: a titled box, Escape cancels, ctrl+s submits."""

    BINDINGS: ClassVar[list[BindingType]] = _FORM_BINDINGS
    DEFAULT_CSS = """
    Form { align: center middle; }
    Form > Vertical {
        width: 72; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    Form .form-title { text-style: bold; margin-bottom: 1; }
    Form .form-hint { color: $text-muted; margin-top: 1; }
    Form .form-error { color: $error; }
    Form Label { margin-top: 1; }
    Form TextArea { height: 6; }
    Form OptionList { height: auto; max-height: 16; }
    """

    TITLE_TEXT = ""
    #: The form has a field where Enter adds a line (its hint says ctrl+s saves).
    MULTILINE = False

    _write: Callable[[Any], Any] | None = None
    _written: Callable[[Any], None] | None = None
    _refused: Callable[[BaseException], None] | None = None
    _writing = False
    _wait_timer: Timer | None = None

    def body(self) -> ComposeResult:
        yield from ()

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self.TITLE_TEXT), classes="form-title", id="form-title")
            yield from self.body()
            yield Static("", classes="form-error", id="form-error")
            yield Static(self._idle_hint(), classes="form-hint", id="form-hint")

    def _idle_hint(self) -> str:
        """What saves the form: Enter and ctrl+s, or only ctrl+s with a multi-line field."""
        return _(HINT_MULTILINE if self.MULTILINE else HINT)

    def writes(
        self,
        write: Callable[[Any], Any],
        *,
        written: Callable[[Any], None] | None = None,
        refused: Callable[[BaseException], None] | None = None,
    ) -> Form:
        """Make submitting run ``write(value)`` in a worker; the form closes (with ``None``)
        only once it has returned, then ``written(result)`` is called; an error is shown in
        the form (which stays open, as typed) and passed to ``refused``."""
        self._write, self._written, self._refused = write, written, refused
        return self

    @property
    def writing(self) -> bool:
        """A write is running (the form neither submits again nor closes meanwhile)."""
        return self._writing

    def error(self, message: str) -> None:
        self.query_one("#form-error", Static).update(plain(message))

    def _hint(self, text: str) -> None:
        self.query_one("#form-hint", Static).update(text)

    def action_cancel(self) -> None:
        if self._writing:
            self._hint(_("saving… — Esc closes once the database has answered"))
            return
        self.dismiss(None)

    def action_submit(self) -> None:
        if self._writing:
            return
        value = self.value()
        if value is None:
            return
        if self._write is None:
            if self._written is None:  # a form without a write: its value is the result
                self.dismiss(value)
            else:  # written already (see _write_done)
                self.dismiss(None)
            return
        self._start_write(self._write, value)

    def _start_write(self, write: Callable[[Any], Any], value: Any) -> None:
        self._writing = True
        self.error("")
        self._hint(_("saving…"))
        self._wait_timer = self.set_timer(WAIT_NOTICE_AFTER, self._waiting)

        def body() -> None:
            try:
                result = write(value)
            except Exception as exc:  # noqa: BLE001 - every refusal is shown in the form
                self.app.call_from_thread(self._write_failed, exc)
                return
            self.app.call_from_thread(self._write_done, result)

        self.run_worker(body, name="form-write", group="form-write", thread=True,
                        exit_on_error=False)

    def _waiting(self) -> None:
        if self._writing:
            self._hint(_(WAITING))

    def _stop_waiting(self) -> None:
        self._writing = False
        if self._wait_timer is not None:
            self._wait_timer.stop()
            self._wait_timer = None
        self._hint(self._idle_hint())

    def _write_done(self, result: Any) -> None:
        """Close, then hand the result on (after the close, so that what it does — e.g.
        open the case just made — happens on the screen below)."""
        self._stop_waiting()
        written, self._write = self._written, None
        if self.app.screen is self:
            self.dismiss(None)
        else:  # the agent went to another screen meanwhile: done, nothing more to save
            self._hint(_("saved · Esc closes"))
        if written is not None:
            self.app.call_later(written, result)

    def _write_failed(self, exc: BaseException) -> None:
        self._stop_waiting()
        self.error(error_message(exc))
        if self._refused is not None:
            self._refused(exc)

    def value(self) -> Any:
        """The form's value, or None (after showing why) when it cannot be submitted."""
        return None

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input))
        if inputs and event.input is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()


#: The resolution types' words (codes of ``transitions.RESOLUTION_TYPES``).
_RESOLUTION_WORDS: dict[str, str] = {
    "solved": N_("solved"),
    "workaround": N_("workaround"),
    "information": N_("information given"),
    "not_reproducible": N_("not reproducible"),
    "duplicate": N_("duplicate"),
    "no_fault": N_("no fault found"),
    "other": N_("other"),
}


def resolution_word(code: str) -> str:
    """A resolution type in the reader's language (an unknown code as it is, spaced)."""
    word = _RESOLUTION_WORDS.get(code)
    return _(word) if word else code.replace("_", " ")


class ConfirmPrompt(ModalScreen[bool]):
    """Ask before something that cannot be taken back (a yank, quitting with unsaved work).

    Dismisses with True only for an explicit yes (``y``, or Enter on Yes); No has the focus,
    so Enter alone, ``n`` and Esc all answer no."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
        Binding("left,right", "app.focus_next", "Other answer", show=False),
    ]
    DEFAULT_CSS = """
    ConfirmPrompt { align: center middle; }
    ConfirmPrompt > Vertical {
        width: 64; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmPrompt .form-title { text-style: bold; }
    ConfirmPrompt .confirm-detail { margin-top: 1; }
    ConfirmPrompt Horizontal { height: auto; margin-top: 1; }
    ConfirmPrompt Button { margin-right: 2; }
    ConfirmPrompt .form-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, question: str, detail: str = "", *, yes: str | None = None) -> None:
        super().__init__()
        self._question = question
        self._detail = detail
        self._yes = yes if yes is not None else _("Yes")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(plain(self._question), classes="form-title", id="confirm-question")
            if self._detail:
                yield Static(plain(self._detail), classes="confirm-detail", id="confirm-detail")
            with Horizontal():
                yield Button(_("No"), id="confirm-no", variant="primary", compact=True)
                yield Button(plain(self._yes), id="confirm-yes", variant="warning",
                             compact=True)
            yield Static(_("y yes · n, Esc or Enter no"), classes="form-hint")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class TextPrompt(Form):
    """One line of text (a note, a reason, a case number)."""

    def __init__(
        self, title: str, *, placeholder: str = "", value: str = "", required: bool = True
    ) -> None:
        super().__init__()
        self.TITLE_TEXT = title
        self._placeholder = placeholder
        self._initial = value
        self._required = required

    def body(self) -> ComposeResult:
        yield Input(self._initial, placeholder=self._placeholder, id="prompt-input")

    def value(self) -> str | None:
        text = self.query_one("#prompt-input", Input).value.strip()
        if self._required and not text:
            self.error(_("this cannot be empty"))
            return None
        return text


class ChoicePrompt(Form):
    """Pick one of a list (a queue, an agent)."""

    def __init__(self, title: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.TITLE_TEXT = title
        self._choices = list(choices)

    def body(self) -> ComposeResult:
        yield OptionList(
            *[Option(cell(label), id=value) for label, value in self._choices], id="choice-list"
        )

    def on_mount(self) -> None:
        self.query_one("#choice-list", OptionList).highlighted = 0 if self._choices else None

    @on(OptionList.OptionSelected, "#choice-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.action_submit()

    def value(self) -> str | None:
        options = self.query_one("#choice-list", OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id


@dataclass(frozen=True)
class Resolution:
    type: str
    notes: str


class ResolveForm(Form):
    """Resolve a case: a resolution type and notes (both required)."""

    TITLE_TEXT = N_("Resolve")
    MULTILINE = True

    def __init__(self, case: str, types: Sequence[str]) -> None:
        super().__init__()
        self.TITLE_TEXT = _("Resolve {case}").format(case=case)
        self._types = list(types)

    def body(self) -> ComposeResult:
        yield Label(_("Resolution type"))
        yield Select(
            [(resolution_word(t), t) for t in self._types],
            value=self._types[0],
            allow_blank=False,
            id="resolve-type",
        )
        yield Label(_("Notes for the customer and the record"))
        yield TextArea(id="resolve-notes")

    def on_mount(self) -> None:
        self.query_one("#resolve-notes", TextArea).focus()

    def value(self) -> Resolution | None:
        notes = self.query_one("#resolve-notes", TextArea).text.strip()
        if not notes:
            self.error(_("resolving needs notes that say what was done"))
            return None
        kind = self.query_one("#resolve-type", Select).value
        return Resolution(str(kind), notes)


@dataclass(frozen=True)
class TimeSpent:
    minutes: int
    note: str


class TimeForm(Form):
    """Log time on a case: minutes and a note."""

    def __init__(self, case: str, minutes: int | None = None) -> None:
        super().__init__()
        self.TITLE_TEXT = _("Log time on {case}").format(case=case)
        self._minutes = minutes

    def body(self) -> ComposeResult:
        yield Label(_("Minutes"))
        yield Input(
            str(self._minutes or ""), placeholder=_("e.g. 15"), type="integer",
            id="time-minutes",
        )
        yield Label(_("Note"))
        yield Input(placeholder=_("what was done"), id="time-note")

    def value(self) -> TimeSpent | None:
        raw = self.query_one("#time-minutes", Input).value.strip()
        if not raw.isdigit() or int(raw) <= 0:
            self.error(_("minutes: a whole number above 0"))
            return None
        return TimeSpent(int(raw), self.query_one("#time-note", Input).value.strip())


class ContactForm(Form):
    """A new contact: name, e-mail, phone (prefilled from what was searched)."""

    TITLE_TEXT = N_("New contact")

    def __init__(self, name: str = "", email: str = "", phone: str = "") -> None:
        super().__init__()
        self.TITLE_TEXT = _(ContactForm.TITLE_TEXT)
        self._values = (name, email, phone)

    def body(self) -> ComposeResult:
        name, email, phone = self._values
        yield Label(_("Name"))
        yield Input(name, placeholder=_("full name"), id="contact-name")
        yield Label(_("E-mail"))
        yield Input(email, placeholder=_("name@example.com"), id="contact-email")
        yield Label(_("Phone"))
        yield Input(phone, placeholder="+34 600 000 000", id="contact-phone")

    def value(self) -> dict[str, str] | None:
        name = self.query_one("#contact-name", Input).value.strip()
        if not name:
            self.error(_("a contact needs a name"))
            return None
        return {
            "name": name,
            "email": self.query_one("#contact-email", Input).value.strip(),
            "phone": self.query_one("#contact-phone", Input).value.strip(),
        }


class CaseForm(Form):
    """A new case, prefilled from the interaction being logged; a template chosen at the
    top fills in category, priority, severity, queue and the description skeleton (all
    still editable), and its playbook's tasks are added when the case is saved."""

    TITLE_TEXT = N_("Open a case")
    MULTILINE = True
    MY_BIN = "__my_bin__"
    NO_TEMPLATE = "__no_template__"
    NO_LINE = "__no_line__"

    def __init__(
        self,
        *,
        title: str = "",
        description: str = "",
        area: str = "general",
        queues: Sequence[str] = (),
        areas: Sequence[str] = ("technical", "billing", "commercial", "general"),
        templates: Sequence[TemplateSpec] = (),
        lines: Sequence[LineStatus] = (),
        proposed: int | None = None,
        entitlement: str = "",
    ) -> None:
        super().__init__()
        self.TITLE_TEXT = _(CaseForm.TITLE_TEXT)
        # the customer's contract lines: the proposed one is chosen, what is left is shown
        self._lines = {str(line.id): line for line in lines}
        self._proposed = str(proposed) if str(proposed) in self._lines else self.NO_LINE
        self._entitlement = entitlement
        #: the line chosen when the form was submitted (kept after the form closes)
        self.chosen: LineStatus | None = None
        self._title = title
        self._description = description
        self._area = area if area in areas else "general"
        self._areas = list(areas)
        self._queues = list(queues)
        self._templates = {t.name: t for t in templates}
        self._filled = ""  # the description the last template put in

    def body(self) -> ComposeResult:
        if self._templates:
            yield Label(_("Template"))
            yield Select(
                [(_("no template"), self.NO_TEMPLATE)]
                + [(cell(name + " (" + ngettext("{n} task", "{n} tasks", len(t.tasks)).format(
                    n=len(t.tasks)) + ")"), name)
                   for name, t in self._templates.items()],
                value=self.NO_TEMPLATE, allow_blank=False, id="case-template",
            )
        yield Label(_("Title"))
        yield Input(self._title, placeholder=_("what the customer needs"), id="case-title")
        with Horizontal(classes="form-row"):
            yield Select([(label("area", a), a) for a in self._areas], value=self._area,
                         allow_blank=False, id="case-area")
            yield Select([(label("priority", p), p) for p in ("high", "medium", "low")],
                         value="medium", allow_blank=False, id="case-priority")
            yield Select([(label("severity", s), s) for s in ("critical", "major", "minor")],
                         value="minor", allow_blank=False, id="case-severity")
        yield Label(_("Where it goes"))
        options = [(_("my WIP bin"), self.MY_BIN)] + [
            (cell(_("queue {queue}").format(queue=q)), q) for q in self._queues
        ]
        yield Select(options, value=self.MY_BIN, allow_blank=False, id="case-queue")
        if self._lines or self._entitlement:
            yield Label(_("Contract line"))
            yield Select(
                [(_("no contract line"), self.NO_LINE)]
                + [(cell(self._line_choice(li)), key) for key, li in self._lines.items()],
                value=self._proposed, allow_blank=False, id="case-line",
            )
            yield Static(self._line_words(self._proposed), id="case-entitlement")
        yield Label(_("Description"))
        yield TextArea(self._description, id="case-description")

    @staticmethod
    def _line_choice(line: LineStatus) -> str:
        """``Soporte — 3 of 10 cases left`` (and its state when not ok)."""
        text = _("{line} — {left} of {total} {allotment} left").format(
            line=line.label, left=line.left, total=line.total, allotment=line.allotment)
        if line.state == "ok":
            return text
        return _("{choice} ({state})").format(choice=text, state=line.state)

    def _line_words(self, key: object) -> Any:
        """What the chosen line still allows (an exhausted or expired one is said so)."""
        line = self._lines.get(str(key))
        if line is None:
            return cell(self._entitlement if not self._lines else
                        _("No contract line: the case counts against no contract."), "dim")
        return cell(line.words, "bold yellow" if line.state != "ok" else "green")

    @on(Select.Changed, "#case-line")
    def _line_chosen(self, event: Select.Changed) -> None:
        self.query_one("#case-entitlement", Static).update(self._line_words(event.value))

    def chosen_line(self) -> LineStatus | None:
        """The contract line chosen in the form (None: no line)."""
        if not self._lines:
            return None
        return self._lines.get(str(self.query_one("#case-line", Select).value))

    @on(Select.Changed, "#case-template")
    def _template_chosen(self, event: Select.Changed) -> None:
        chosen = self._templates.get(str(event.value))
        if chosen is None:
            return
        title = self.query_one("#case-title", Input)
        if not title.value.strip():
            title.value = chosen.title
        if chosen.area in self._areas:
            self.query_one("#case-area", Select).value = chosen.area
        self.query_one("#case-priority", Select).value = chosen.priority
        self.query_one("#case-severity", Select).value = chosen.severity
        queue = chosen.queue if chosen.queue in self._queues else self.MY_BIN
        self.query_one("#case-queue", Select).value = queue
        box = self.query_one("#case-description", TextArea)
        typed = box.text
        if typed.strip() and typed != self._filled:  # keep what was typed, under the skeleton
            skeleton = chosen.description.rstrip("\n")
            box.text = f"{skeleton}\n\n{typed}" if skeleton else typed
        else:
            box.text = chosen.description
        self._filled = box.text

    def value(self) -> dict[str, Any] | None:
        title = self.query_one("#case-title", Input).value.strip()
        if not title:
            self.error(_("a case needs a title"))
            return None
        self.chosen = self.chosen_line()
        queue = self.query_one("#case-queue", Select).value
        template = None
        if self._templates:
            picked = self.query_one("#case-template", Select).value
            template = None if picked == self.NO_TEMPLATE else str(picked)
        return {
            "title": title,
            "area": str(self.query_one("#case-area", Select).value),
            "priority": str(self.query_one("#case-priority", Select).value),
            "severity": str(self.query_one("#case-severity", Select).value),
            "queue": None if queue == self.MY_BIN else str(queue),
            "description": self.query_one("#case-description", TextArea).text.strip(),
            "template": template,
            "contract_line_id": self.chosen.id if self.chosen is not None else None,
        }


class CaseEditForm(Form):
    """Edit a case: title, category, priority, severity, customer (a contact id), contract
    line (an id; empty keeps it) and description, prefilled with what it holds now. Its
    value is only what was changed (``update_case`` keywords)."""

    MULTILINE = True

    def __init__(
        self,
        label: str,
        *,
        title: str,
        description: str,
        area: str,
        priority: str,
        severity: str,
        contact_id: int | None,
        contract_line: str | None = None,
        areas: Sequence[str] = ("technical", "billing", "commercial", "general"),
    ) -> None:
        super().__init__()
        self.TITLE_TEXT = _("Edit {case}").format(case=label)
        self._initial: dict[str, Any] = {
            "title": title,
            "description": description,
            "area": area,
            "priority": priority,
            "severity": severity,
            "contact_id": contact_id,
        }
        self._areas = list(areas) if area in areas else [*areas, area]
        self._contract_line = contract_line

    def body(self) -> ComposeResult:
        start = self._initial
        yield Label(_("Title"))
        yield Input(start["title"], id="edit-title", select_on_focus=False)
        with Horizontal(classes="form-row"):
            yield Select([(label("area", a), a) for a in self._areas], value=start["area"],
                         allow_blank=False, id="edit-area")
            yield Select([(label("priority", p), p) for p in ("high", "medium", "low")],
                         value=start["priority"], allow_blank=False, id="edit-priority")
            yield Select([(label("severity", s), s) for s in ("critical", "major", "minor")],
                         value=start["severity"], allow_blank=False, id="edit-severity")
        yield Label(_("Customer (contact id; empty: none)"))
        contact = start["contact_id"]
        yield Input("" if contact is None else str(contact), type="integer", id="edit-contact")
        yield Label(_("Contract line id (empty: keep)"))
        yield Input(placeholder=one_line(self._contract_line or _("none")), type="integer",
                    id="edit-contract-line")
        yield Label(_("Description"))
        yield TextArea(start["description"], id="edit-description")

    def on_mount(self) -> None:
        self.query_one("#edit-title", Input).focus()

    def _typed_id(self, widget: str, what: str) -> tuple[bool, int | None]:
        raw = self.query_one(widget, Input).value.strip()
        if not raw:
            return True, None
        if not raw.isdigit() or not 0 < int(raw) < 2**63:
            self.error(_("{field}: a whole number above 0").format(field=what))
            return False, None
        return True, int(raw)

    def value(self) -> dict[str, Any] | None:
        title = self.query_one("#edit-title", Input).value.strip()
        if not title:
            self.error(_("a case needs a title"))
            return None
        ok, contact = self._typed_id("#edit-contact", _("customer"))
        if not ok:
            return None
        ok, line = self._typed_id("#edit-contract-line", _("contract line"))
        if not ok:
            return None
        now: dict[str, Any] = {
            "title": title,
            "description": self.query_one("#edit-description", TextArea).text,
            "area": str(self.query_one("#edit-area", Select).value),
            "priority": str(self.query_one("#edit-priority", Select).value),
            "severity": str(self.query_one("#edit-severity", Select).value),
            "contact_id": contact,
        }
        changes = {k: v for k, v in now.items() if v != self._initial[k]}
        if line is not None:
            changes["contract_line_id"] = line
        if not changes:
            self.error(_("nothing changed: edit a field, or Esc to close"))
            return None
        return changes


@dataclass(frozen=True)
class TaskSpec:
    title: str
    #: Business time from now ("30m", "2h", "1d"), or None for no due time.
    due_in: str | None


class TaskForm(Form):
    """A task on a case: a title and when it is due."""

    def __init__(self, label: str) -> None:
        super().__init__()
        self.TITLE_TEXT = _("New task on {case}").format(case=label)

    def body(self) -> ComposeResult:
        yield Label(_("Task"))
        yield Input(placeholder=_("e.g. call the customer back"), id="task-title")
        yield Label(_("Due in (30m, 2h, 1d — empty for no due time)"))
        yield Input(placeholder="2h", id="task-due")

    def value(self) -> TaskSpec | None:
        title = self.query_one("#task-title", Input).value.strip()
        if not title:
            self.error(_("a task needs a title"))
            return None
        due = self.query_one("#task-due", Input).value.strip()
        return TaskSpec(title, due or None)
