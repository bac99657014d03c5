"""Sign-in: pick who you are from the agents list; the choice is remembered in the config.

On a shared PostgreSQL nobody picks a name: the connected role is who you are. There the
screen only appears when the server wants a password the URL, ``PGPASSWORD`` and
``~/.pgpass`` did not give: it asks for it (hidden) and the app reconnects with it in the
connection's arguments; it is never saved."""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, OptionList, Static
from textual.widgets.option_list import Option

from casedesk.i18n import _
from casedesk.labels import label
from casedesk.plain import cell
from casedesk.screens.base import ServiceCalls
from casedesk.services.directory import staff
from casedesk.services.queries.views import AgentView
from casedesk.widgets.footer import DeskFooter


class SignInScreen(ServiceCalls, Screen[str | None]):
    """Lists the active agents; Enter signs in as the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Quit", id="signin-quit"),
    ]

    def __init__(self, password_for: str | None = None) -> None:
        """``password_for``: ask for the password of this connection (e.g.
        ``maria@db.example/casedesk``) instead of listing agents."""
        super().__init__()
        self.password_for = password_for

    def compose(self) -> ComposeResult:
        yield Header()
        if self.password_for is not None:
            with Vertical(id="signin-box"):
                yield Static(_("The database wants your password"), id="signin-title")
                yield Static(cell(_("Password for {connection} (it is not saved):").format(
                    connection=self.password_for)), id="signin-hint")
                yield Input(password=True, id="signin-password", placeholder=_("password"))
            yield DeskFooter()
            return
        with Vertical(id="signin-box"):
            yield Static(_("Who is at this desk?"), id="signin-title")
            yield Static(
                _("Pick your name; casedesk remembers it in its config file."),
                id="signin-hint",
            )
            yield OptionList(id="signin-agents")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.sub_title = _("Sign in")
        if self.password_for is not None:
            self.query_one("#signin-password", Input).focus()
            return
        agents = self.query_one("#signin-agents", OptionList)
        self.load(
            "signin",
            partial(staff.list_agents, self.desk),
            then=self._show,
            busy=agents,
        )

    def _show(self, agents: list[AgentView]) -> None:
        options = self.query_one("#signin-agents", OptionList)
        options.clear_options()
        active = [a for a in agents if a.active]
        if not active:
            self.query_one("#signin-hint", Static).update(
                _("No agents yet: run `casedesk demo` or `casedesk agent add` first.")
            )
            return
        options.add_options(
            Option(cell(f"{a.name}  ({a.login}, {label('role', a.role)})"), id=a.login)
            for a in sorted(active, key=lambda a: a.name)
        )
        options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#signin-agents")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#signin-password")
    def _password_given(self, event: Input.Submitted) -> None:
        if event.value:
            self.dismiss(event.value)

    async def relocalize(self) -> None:
        """Draw the screen again in the current language (after a language switch)."""
        await self.recompose()
        self.on_mount()

    def action_leave(self) -> None:
        self.dismiss(None)
