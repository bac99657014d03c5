"""Interaction log: log a call, e-mail, visit or letter while the customer is on the line.

The customer is looked up as you type (name, phone or e-mail); ctrl+n creates a new one
from what was typed. A call timer starts with the first keystroke of a phone, visit or chat
contact and fills the duration. ctrl+s saves, ctrl+o saves and opens a case from it (the
live call is the case's first response), ctrl+l saves it onto an existing case. Below the
form: the customer's history and my interactions today.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.plain import cell
from casedesk.screens import messages
from casedesk.screens.base import DeskScreen
from casedesk.screens.call_case import CallCaseForm
from casedesk.screens.modals import ContactForm, TextPrompt
from casedesk.services.contracts import entitlements
from casedesk.services.contracts.views import LineStatus, Proposal
from casedesk.services.directory import customers
from casedesk.services.queries import board, reads
from casedesk.services.queries.views import (
    CallTimeLogged,
    CaseDetail,
    CustomerHistory,
    InteractionView,
)
from casedesk.services.workflow import cases, templates, timelog
from casedesk.services.workflow.templates import TemplateSpec
from casedesk.textsafe import one_line
from casedesk.widgets.call_timer import CallTimer
from casedesk.widgets.footer import DeskFooter
from casedesk.widgets.history import CustomerHistoryView
from casedesk.widgets.sla import local

CHANNELS = ("phone", "email", "visit", "letter", "chat", "web")
LIVE_CHANNELS = ("phone", "visit", "chat")
TYPIFICATIONS = ("query", "complaint", "request", "incident", "claim", "other")
#: Typification → the area a case opened from it starts in.
AREA_OF = {"incident": "technical", "claim": "billing", "complaint": "general"}
NEW_CONTACT = "__new__"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^[+\d][\d\s().-]{2,}$")


def parse_mm_ss(text: str) -> int | None:
    """``4:05`` → 245, ``7`` (minutes) → 420; None when it is not a duration."""
    text = text.strip()
    if not text:
        return 0
    if re.fullmatch(r"\d+", text):
        return int(text) * 60
    match = re.fullmatch(r"(?:(\d+):)?(\d+):(\d{2})", text)
    if not match:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _saved(logged: CallTimeLogged) -> str:
    """What the agent reads once a contact moment is saved (with the call's time)."""
    i = logged.interaction
    if not i.case:
        return _("interaction saved")
    minutes = logged.handle_minutes + logged.after_call_minutes
    if not minutes:
        return _("interaction saved on {case}").format(case=i.case)
    return _("interaction saved on {case}: {handle} min on the line and {after} min after "
             "the call logged").format(case=i.case, handle=logged.handle_minutes,
                                       after=logged.after_call_minutes)


def contact_line(c: dict[str, Any]) -> str:
    """``Juan Pérez · +34 600 111 222 · juan@… · Pérez Hogar (gold)``: the account only
    when it is not named as the person (a private customer's account carries their name)."""
    bits = [str(c["name"])]
    bits += [str(c[k]) for k in ("phone", "email") if c.get(k)]
    tier = label("tier", c["tier"]) if c.get("tier") else ""
    if c.get("account") and c["account"] != c["name"]:
        bits.append(f"{c['account']}" + (f" ({tier})" if tier else ""))
    elif tier:
        bits.append(tier)
    return " · ".join(bits)


class InteractionLogScreen(DeskScreen):
    """The front office: one contact moment at a time."""

    LABEL = N_("Interaction log")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="log-save", priority=True),
        Binding("ctrl+o", "save_case", "Save+case", id="log-save-case", priority=True),
        Binding("ctrl+l", "save_attach", "On case", id="log-attach", priority=True,
                tooltip=N_("Save the interaction on an existing case")),
        Binding("ctrl+t", "timer", "Timer", id="log-timer", priority=True),
        Binding("ctrl+n", "new_contact", "New cust.", id="log-new-contact", priority=True),
        Binding("ctrl+r", "reset", "Clear form", id="log-reset", priority=True, show=False),
        Binding("ctrl+g", "customer", "Customer", id="log-customer", priority=True,
                tooltip=N_("The selected customer at a glance: products, contracts, cases")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.contact: dict[str, Any] | None = None
        self.matches: list[dict[str, Any]] = []
        self.attach_case: str | None = None
        self.queue_names: list[str] = []
        self.templates: list[TemplateSpec] = []
        self._search_timer: Timer | None = None
        #: the text the matches shown were found for; Enter typed before they arrive
        #: chooses the first match once they do
        self._matched_text: str | None = None
        self._choose_first = False
        #: the selected customer's contract lines and the one a new case would count against
        self.proposal: Proposal | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            with Vertical(id="log-form"):
                yield Static(_("Customer"), classes="pane-title")
                yield Input(
                    placeholder=_("name, phone or e-mail — ctrl+n new customer"),
                    id="log-contact-search",
                )
                yield OptionList(id="log-contact-matches")
                yield Static("", id="log-contact")
                with Horizontal(classes="form-row"):
                    yield Select([(label("channel", c), c) for c in CHANNELS], value="phone",
                                 allow_blank=False, id="log-channel")
                    yield Select([(label("direction", d), d) for d in ("inbound", "outbound")],
                                 value="inbound", allow_blank=False, id="log-direction")
                    yield Select([(label("typification", t), t) for t in TYPIFICATIONS],
                                 value="query", allow_blank=False, id="log-typification")
                yield Input(placeholder=_("subject"), id="log-subject")
                yield TextArea(id="log-notes")
                with Horizontal(classes="form-row"):
                    yield CallTimer(self.now, id="log-timer")
                    yield Input(placeholder=_("duration mm:ss"), id="log-duration")
                yield Static("", id="log-case-line")
            with Vertical(id="log-right"):
                yield CustomerHistoryView(self.tz, id="log-history")
                yield Static(_("My interactions today"), classes="pane-title")
                yield DataTable(id="log-today", cursor_type="row")
        yield DeskFooter()

    def on_mount(self) -> None:
        today = self.query_one("#log-today", DataTable)
        for name, width in ((_("At"), 5), (_("Channel"), 9), (_("Customer"), 14),
                            (_("Subject"), 19), (_("Case"), 9)):
            today.add_column(name, width=width)
        self.query_one("#log-contact-matches", OptionList).display = False
        self.query_one("#log-timer", CallTimer).tick()
        self._show_case_line()
        self.query_one("#log-contact-search", Input).focus()
        self.load("queue-names", partial(board.queue_names, self.desk), then=self._set_queues)
        self.load("case-templates", partial(templates.list_templates, self.desk),
                  then=self._set_templates)

    def _set_queues(self, names: list[str]) -> None:
        self.queue_names = names

    def _set_templates(self, found: list[TemplateSpec]) -> None:
        self.templates = found

    # --- live lists ---------------------------------------------------------------------

    def refresh_data(self) -> None:
        since = datetime.combine(self.now().astimezone(self.tz()).date(), time(0), self.tz())
        self.load(
            "log-today",
            partial(reads.interactions_today, self.desk, self.actor.id, since),
            then=self._show_today,
        )
        if self.contact is not None:
            self._load_history()

    def _show_today(self, rows: list[InteractionView]) -> None:
        table = self.query_one("#log-today", DataTable)
        table.clear()
        for i in rows:
            arrow = "→" if i.direction == "outbound" else "←"
            table.add_row(
                local(i.started_at, self.tz(), "%H:%M"),
                f"{arrow} {label('channel', i.channel)}",
                cell(i.contact or "—"),
                cell(i.subject or "—"),
                cell(i.case or ""),
            )

    def _load_history(self) -> None:
        if self.contact is None:
            return
        view = self.query_one(CustomerHistoryView)
        self.load(
            "log-history",
            partial(reads.customer_history, self.desk, int(self.contact["id"])),
            then=self._show_history,
            busy=view if view.history is None else None,
        )

    def _load_proposal(self) -> None:
        if self.contact is None:
            return
        self.load(
            "log-proposal",
            partial(entitlements.propose, self.desk, int(self.contact["id"]), self.actor.id),
            then=self._set_proposal,
        )

    def _set_proposal(self, proposal: Proposal) -> None:
        if self.contact is not None and proposal.contact_id == self.contact["id"]:
            self.proposal = proposal

    def _show_history(self, history: CustomerHistory) -> None:
        if self.contact is not None and history.contact_id == self.contact["id"]:
            self.query_one(CustomerHistoryView).show(history)

    def tick(self) -> None:
        self.query_one("#log-timer", CallTimer).tick()

    # --- contact lookup -----------------------------------------------------------------

    @on(Input.Changed, "#log-contact-search")
    def _search_changed(self, event: Input.Changed) -> None:
        timer = self.query_one("#log-timer", CallTimer)
        channel = self.query_one("#log-channel", Select).value
        if event.value and timer.started_at is None and channel in LIVE_CHANNELS:
            timer.start()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(0.15, self._search)

    def _search(self) -> None:
        self._search_timer = None
        text = self.query_one("#log-contact-search", Input).value.strip()
        if not text:
            self._show_matches([], text)
            return
        self.load(
            "log-contacts",
            partial(self._find, text),
            then=lambda found: self._show_matches(*found),
        )

    def _find(self, text: str) -> tuple[list[dict[str, Any]], str]:
        """Runs in a worker: the customers matching ``text`` (and the text, to tell a late
        answer from the current one)."""
        return customers.find_contacts(self.desk, text, limit=8), text

    def _show_matches(self, matches: list[dict[str, Any]], found_for: str = "") -> None:
        text = self.query_one("#log-contact-search", Input).value.strip()
        if found_for != text:
            return  # an answer for what was typed before: the newer search follows
        self.matches = matches
        self._matched_text = text
        options = self.query_one("#log-contact-matches", OptionList)
        options.clear_options()
        if not text:
            options.display = False
            return
        options.add_options([Option(cell(contact_line(m)), id=str(m["id"])) for m in matches])
        options.add_option(
            Option(cell(_("+ new customer “{text}” (ctrl+n)").format(text=text), "italic"),
                   id=NEW_CONTACT)
        )
        options.highlighted = 0
        options.display = True
        if self._choose_first:
            self._choose_first = False
            self._choose_highlighted()

    @on(Input.Submitted, "#log-contact-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        """Enter in the lookup takes the first match (the highlighted one) and goes on to
        the subject; typed faster than the lookup answers, it does so once it answers."""
        text = event.value.strip()
        if not text:
            return
        if self._search_timer is not None or self._matched_text != text:
            self._choose_first = True
            if self._search_timer is not None:
                self._search_timer.stop()
                self._search()
            return
        self._choose_highlighted()

    def _choose_highlighted(self) -> None:
        options = self.query_one("#log-contact-matches", OptionList)
        index = options.highlighted
        if not options.display or index is None:
            return
        option = options.get_option_at_index(index)
        if option.id == NEW_CONTACT:
            self.action_new_contact()
            return
        chosen = next((m for m in self.matches if str(m["id"]) == option.id), None)
        if chosen is not None:
            self.choose_contact(chosen)

    def on_key(self, event: Any) -> None:
        search = self.query_one("#log-contact-search", Input)
        options = self.query_one("#log-contact-matches", OptionList)
        if event.key == "down" and self.focused is search and options.display:
            options.focus()
            event.stop()

    @on(OptionList.OptionSelected, "#log-contact-matches")
    def _match_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == NEW_CONTACT:
            self.action_new_contact()
            return
        chosen = next((m for m in self.matches if str(m["id"]) == event.option.id), None)
        if chosen is not None:
            self.choose_contact(chosen)

    def choose_contact(self, contact: dict[str, Any]) -> None:
        """Make ``contact`` the customer of this interaction and show their history."""
        self.contact = contact
        self.query_one("#log-contact", Static).update(
            Text.assemble(("✔ ", "green"), cell(contact_line(contact), "bold"))
        )
        options = self.query_one("#log-contact-matches", OptionList)
        options.display = False
        self.proposal = None
        self._load_history()
        self._load_proposal()
        self.query_one("#log-subject", Input).focus()

    def action_new_contact(self) -> None:
        """Create a customer from what was typed (name, e-mail or phone)."""
        text = self.query_one("#log-contact-search", Input).value.strip()
        name = email = phone = ""
        if _EMAIL.match(text):
            email = text
        elif _PHONE.match(text):
            phone = text
        else:
            name = text

        self.write_from(
            ContactForm(name, email, phone),
            self._add_contact,
            then=self.choose_contact,
            done=lambda c: _("new customer {name}").format(name=c["name"]),
        )

    def _add_contact(self, values: dict[str, str]) -> dict[str, Any]:
        """Runs in a worker: create the contact and read it back as a lookup row."""
        contact_id = customers.add_contact(
            self.desk,
            name=values["name"],
            email=values["email"] or None,
            phone=values["phone"] or None,
        )
        return {
            "id": contact_id,
            "name": values["name"],
            "email": values["email"] or None,
            "phone": values["phone"] or None,
            "account": None,
            "tier": None,
        }

    # --- saving -------------------------------------------------------------------------

    def _values(self, *, end_call: bool = True) -> dict[str, Any] | None:
        """The form as ``log_interaction`` keywords, or None after saying what is missing.
        ``end_call``: a running call timer is stopped (the call ends now); otherwise it
        keeps running and the duration is what it shows now (see :meth:`_timed`)."""
        timer = self.query_one("#log-timer", CallTimer)
        duration_input = self.query_one("#log-duration", Input)
        if timer.running and end_call:
            timed = timer.stop()
            duration_input.value = f"{timed // 60}:{timed % 60:02d}"
        seconds = (timer.elapsed() if timer.running
                   else parse_mm_ss(duration_input.value))
        if seconds is None:
            self.app.notify(_("duration: mm:ss or minutes"), severity="error")
            return None
        subject = self.query_one("#log-subject", Input).value.strip()
        if not subject:
            self.app.notify(_("an interaction needs a subject"), severity="error")
            self.query_one("#log-subject", Input).focus()
            return None
        return {
            "channel": str(self.query_one("#log-channel", Select).value),
            "direction": str(self.query_one("#log-direction", Select).value),
            "typification": str(self.query_one("#log-typification", Select).value),
            "contact_id": int(self.contact["id"]) if self.contact else None,
            "subject": subject,
            "notes": self.query_one("#log-notes", TextArea).text.strip(),
            "started_at": timer.started_at,
            "duration_seconds": seconds,
        }

    def action_save(self) -> None:
        """Save the interaction (on the case it is attached to, if any)."""
        values = self._values()
        if values is None:
            return
        case = self.attach_case
        self.operate(
            partial(timelog.log_call, self.desk, self.actor, case=case,
                    wrap_seconds=self._wrap(values), **values),
            done=_saved,
            then=lambda i: self.action_reset(),
        )

    def action_save_case(self) -> None:
        """Save, then open a case from it (prefilled; the live call is the first response).
        The call timer keeps running while the case form is open: cancelling the form
        leaves the call on the line; saving it logs the call up to that moment."""
        values = self._values(end_call=False)
        if values is None:
            return
        area = AREA_OF.get(values["typification"], "general")

        logged: list[InteractionView] = []
        wrap = self._wrap(values)
        timer = self.query_one("#log-timer", CallTimer)
        proposal = self.proposal
        form_shown = CallCaseForm(
            title=values["subject"],
            description=values["notes"],
            area=area,
            queues=self.queue_names,
            templates=self.templates,
            lines=proposal.lines if proposal is not None else (),
            proposed=proposal.proposed.id if proposal and proposal.proposed else None,
            entitlement=proposal.words if proposal is not None else "",
        )

        def write(form: dict[str, Any]) -> CaseDetail:
            """Runs in the form's worker: the interaction once (a refused case does not log
            it again on the next try), then the case from it, then the call's time on it."""
            if not logged:
                # a call still on the line is logged up to now (the form was open meanwhile)
                call = ({**values, "duration_seconds": timer.elapsed()} if timer.running
                        else values)
                logged.append(timelog.log_call(self.desk, self.actor, wrap_seconds=wrap,
                                               **call).interaction)
            interaction = logged[0]
            case = self._open_from(form, interaction)
            timelog.log_call_time(self.desk, self.actor, interaction.id)
            return case

        self.write_from(
            form_shown,
            write,
            done=lambda c: _("{case} opened from the call").format(case=c.label),
            then=lambda c: self._case_opened(c, form_shown.chosen),
        )

    def _open_from(self, form: dict[str, Any], interaction: InteractionView) -> CaseDetail:
        """The case the form asks for, opened from the saved ``interaction``."""
        template = form.pop("template", None)
        if template:  # the template's playbook too; no queue chosen is "my bin"
            return templates.create_from_template(
                self.desk,
                self.actor,
                template,
                contact_id=interaction.contact_id,
                from_interaction=interaction.id,
                **{**form, "queue": form["queue"] or ""},
            )
        return cases.create_case(
            self.desk,
            self.actor,
            contact_id=interaction.contact_id,
            from_interaction=interaction.id,
            **form,
        )

    def _case_opened(self, case: CaseDetail, line: LineStatus | None) -> None:
        if line is not None and line.state != "ok":  # never refused: said, and recorded
            self.app.notify(line.words, title=_("Contract"), severity="warning")
        self.action_reset()
        self.post_message(messages.OpenCase(case.label))

    def _wrap(self, values: dict[str, Any]) -> int:
        """Seconds of after-call work of a live contact: from "end call" until now."""
        if values["channel"] not in LIVE_CHANNELS:
            return 0
        return self.query_one("#log-timer", CallTimer).wrap()

    def action_save_attach(self) -> None:
        """Save the interaction onto an existing case (asked by number; the prompt stays
        open, with the number typed, until the save succeeds)."""
        values = self._values()
        if values is None:
            return
        suggestion = self.attach_case or self._latest_open_case() or ""

        wrap = self._wrap(values)

        def write(number: str) -> CallTimeLogged:
            return timelog.log_call(self.desk, self.actor, case=number, wrap_seconds=wrap,
                                    **values)

        self.write_from(
            TextPrompt(_("Save on case"), placeholder="CS-000123", value=suggestion),
            write,
            done=_saved,
            then=lambda i: self.action_reset(),
        )

    def _latest_open_case(self) -> str | None:
        history = self.query_one(CustomerHistoryView).history
        if history is None:
            return None
        open_cases = [c for c in history.cases if c.status not in ("closed", "cancelled")]
        return open_cases[0].label if open_cases else None

    def action_timer(self) -> None:
        """Start or stop the call timer; stopping fills the duration."""
        timer = self.query_one("#log-timer", CallTimer)
        if timer.running:
            seconds = timer.stop()
            self.query_one("#log-duration", Input).value = f"{seconds // 60}:{seconds % 60:02d}"
        else:
            timer.start()

    def action_customer(self) -> None:
        """The selected customer at a glance (products, contracts, cases, interactions)."""
        if self.contact is None:
            self.app.notify(_("choose a customer first"), severity="warning")
            return
        from casedesk.screens.customer import CustomerScreen

        self.app.push_screen(CustomerScreen(contact_id=int(self.contact["id"])))

    def action_reset(self) -> None:
        """Clear the form for the next contact."""
        self.contact = None
        self.proposal = None
        self.matches = []
        self.attach_case = None
        self.query_one("#log-contact-search", Input).value = ""
        self.query_one("#log-contact", Static).update("")
        self.query_one("#log-contact-matches", OptionList).display = False
        self.query_one("#log-subject", Input).value = ""
        self.query_one("#log-notes", TextArea).text = ""
        self.query_one("#log-duration", Input).value = ""
        self.query_one("#log-typification", Select).value = "query"
        self.query_one("#log-timer", CallTimer).reset()
        self.query_one(CustomerHistoryView).show(None)
        self._show_case_line()
        self.query_one("#log-contact-search", Input).focus()

    @on(messages.PrepareLog)
    def _prepare(self, event: messages.PrepareLog) -> None:
        """The app switched here to log on a case (once the screen is drawn)."""
        self.call_after_refresh(self.prepare_for_case, event.case)

    def prepare_for_case(self, case: CaseDetail) -> None:
        """Log on ``case``: its customer selected, saved onto it with ctrl+s."""
        self.action_reset()
        self.attach_case = case.label
        if case.contact_id is not None:
            self.choose_contact(
                {
                    "id": case.contact_id,
                    "name": case.contact or "",
                    "email": case.contact_email,
                    "phone": case.contact_phone,
                    "account": case.account,
                    "tier": case.account_tier,
                }
            )
        # an Input draws its value as it is: the prefill shows the title's controls visibly
        # (what the agent sees is what the new interaction will hold)
        self.query_one("#log-subject", Input).value = _("Re: {title}").format(
            title=one_line(case.title))
        self._show_case_line()

    def _show_case_line(self) -> None:
        line = self.query_one("#log-case-line", Static)
        if self.attach_case:
            line.update(cell(_("saves on case {case} (ctrl+r clears)").format(
                case=self.attach_case), "bold"))
        else:
            line.update(
                Text(_("ctrl+s save · ctrl+o save and open a case · ctrl+l save on a case"),
                     style="dim")
            )
