"""Knowledge search: search as you type (debounced), highlighted snippets, Markdown preview,
link the article to the current case or send it to the case's customer.

With a case open and nothing typed, the list shows the articles suggested for that case
(``guidance.guidance``): the usual way in is ``k`` on the case screen.

Keys: type to search (a number ``KB-42``, title words, keywords or text), Down/Enter to the
results, ctrl+l link to the current case, ctrl+s send to the customer, ``/`` back to the
search box.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.timer import Timer
from textual.widgets import Header, Input, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.plain import cell, marked
from casedesk.screens import messages
from casedesk.screens.base import DeskScreen
from casedesk.screens.modals import ConfirmPrompt
from casedesk.services.knowledge import guidance, library
from casedesk.services.queries import reads
from casedesk.services.queries.views import (
    ArticleHit,
    ArticleView,
    CaseDetail,
    Guidance,
    GuidanceArticle,
)
from casedesk.textsafe import one_line, visible
from casedesk.widgets.footer import DeskFooter

DEBOUNCE = 0.2
HIGHLIGHT = "bold reverse yellow"  # the matched words in a hit's snippet
#: Characters of the article's text shown before sending it.
PREVIEW_CHARS = 240


def preview(body: str, limit: int = PREVIEW_CHARS) -> str:
    """The start of an article's text on one line (Markdown marks left as they are)."""
    text = one_line(" ".join(body.split()))
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class KnowledgeScreen(DeskScreen):
    """Find an article while the customer waits, and use it on the case."""

    LABEL = N_("Knowledge")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "link", "Link to case", id="kb-link", priority=True),
        Binding("ctrl+s", "send", "Send to customer", id="kb-send", priority=True),
        Binding("slash", "search", "Search", id="kb-search-focus", key_display="/"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[ArticleHit | GuidanceArticle] = []
        self.article: ArticleView | None = None
        self.case: CaseDetail | None = None
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=_("search: KB-000042, words of the title, keywords or text"),
                    id="kb-search")
        yield Static("", id="kb-case")
        with Horizontal():
            yield OptionList(id="kb-results")
            with VerticalScroll(id="kb-preview-box"):
                yield Markdown("", id="kb-preview", open_links=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#kb-search", Input).focus()

    def on_screen_resume(self) -> None:
        """(Besides DeskScreen's refresh) pick up the case open on the case screen."""
        if self.ready:
            self._load_case()

    def _load_case(self) -> None:
        number = self.workstation.current_case
        if number is None:
            self.case = None
            self._show_case_line()
            return
        self.load("kb-case", partial(reads.get_case, self.desk, number), then=self._set_case)

    def _set_case(self, case: CaseDetail) -> None:
        self.case = case
        self._show_case_line()
        if not self.query_one("#kb-search", Input).value.strip():
            self.load(
                "kb-guidance",
                partial(guidance.guidance, self.desk, case.label),
                then=self._show_guidance,
            )

    def _show_guidance(self, guidance: Guidance) -> None:
        if self.case is None or guidance.case != self.case.label:
            return
        if self.query_one("#kb-search", Input).value.strip():
            return  # the agent has started typing: their search wins
        self._show_results(list(guidance.articles), suggested=True)

    def _show_case_line(self, suggested: bool = False) -> None:
        line = self.query_one("#kb-case", Static)
        if self.case is None:
            line.update(_("No case open: open one (F5) to link or send articles"))
        else:
            who = f" — {self.case.contact}" if self.case.contact else ""
            head = (_("Suggested for case {case}") if suggested
                    else _("For case {case}")).format(case=self.case.label)
            line.update(cell(f"{head} {self.case.title}{who}"))

    # --- search -------------------------------------------------------------------------

    @on(Input.Changed, "#kb-search")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self.run_search)

    @on(Input.Submitted, "#kb-search")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        if event.value.strip():
            self.run_search()
        self.query_one("#kb-results", OptionList).focus()

    def run_search(self) -> None:
        """Search now for the text in the box (a newer search supersedes an older one)."""
        text = self.query_one("#kb-search", Input).value
        if not text.strip():
            if self.case is not None:
                self._set_case(self.case)
            else:
                self._show_results([])
            return
        self.load(
            "kb-search",
            partial(library.search, self.desk, text, limit=50),
            then=self._show_results,
            busy=self.query_one("#kb-results", OptionList) if not self.results else None,
        )

    def _show_results(
        self, results: list[ArticleHit] | list[GuidanceArticle], *, suggested: bool = False
    ) -> None:
        self.results = list(results)
        self._show_case_line(suggested)
        options = self.query_one("#kb-results", OptionList)
        options.clear_options()
        for r in self.results:
            status = getattr(r, "status", "published")
            prompt = Text.assemble(
                (r.label, "bold cyan"),
                "  ",
                (one_line(r.title), "bold"),
                (f"  [{label('article_status', status)}]" if status != "published" else "",
                 "dim"),
                "\n",
                marked(r.snippet or "", HIGHLIGHT),
            )
            options.add_option(Option(prompt, id=r.label))
        if self.results:
            options.highlighted = 0
        elif suggested:
            options.add_option(Option(Text(_("no suggestions: type to search"), style="dim"),
                                      disabled=True))
        elif self.query_one("#kb-search", Input).value.strip():
            options.add_option(Option(Text(_("no articles match"), style="dim"),
                                      disabled=True))

    def refresh_data(self) -> None:
        """Articles do not change under the agent's eyes; the case line does."""
        self._load_case()

    @on(OptionList.OptionHighlighted, "#kb-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show_article(event.option.id)

    @on(messages.PreviewArticle)
    def _preview_asked(self, event: messages.PreviewArticle) -> None:
        """The app switched here to show an article (once the screen is drawn)."""
        self.call_after_refresh(self.show_article, event.label)

    def show_article(self, label: str) -> None:
        """Preview an article (Markdown)."""
        self.load(
            "kb-article",
            partial(library.get_article, self.desk, label),
            then=self._preview,
        )

    def _preview(self, article: ArticleView) -> None:
        """The article as Markdown: its text is never Textual markup (Markdown's inline text
        is plain content), terminal controls are shown visibly, and a link is not followed
        (clicking it only says where it points: see :meth:`_link_clicked`)."""
        self.article = article
        header = f"# {article.label} {one_line(article.title)}\n\n"
        meta = f"*{label('article_status', article.status)}* · " + ngettext(
            "used {n} time", "used {n} times", article.used_count).format(n=article.used_count)
        if article.keywords:
            meta += " · " + _("keywords: {keywords}").format(keywords=one_line(article.keywords))
        self.query_one("#kb-preview", Markdown).update(
            header + meta + "\n\n" + visible(article.body)
        )

    @on(Markdown.LinkClicked, "#kb-preview")
    def _link_clicked(self, event: Markdown.LinkClicked) -> None:
        """An article's links come from whoever wrote or imported it: say where a link
        points instead of opening it."""
        event.stop()
        self.app.notify(_("link (not opened): {href}").format(href=event.href),
                        severity="information")

    def on_key(self, event: Any) -> None:
        if event.key == "down" and self.focused is self.query_one("#kb-search", Input):
            self.query_one("#kb-results", OptionList).focus()
            event.stop()

    # --- use ----------------------------------------------------------------------------

    def _ready(self) -> tuple[str, str] | None:
        if self.article is None:
            self.app.notify(_("pick an article first"), severity="warning")
            return None
        if self.case is None:
            self.app.notify(_("no case open: open one (F5) first"), severity="warning")
            return None
        return self.article.label, self.case.label

    def action_link(self) -> None:
        """Record that this article helped with the current case."""
        ready = self._ready()
        if ready is None:
            return
        article, case = ready
        self.operate(
            partial(library.link_case, self.desk, self.actor, article, case),
            done=_("{article} linked to {case}").format(article=article, case=case),
        )

    def action_send(self) -> None:
        """Send the article to the current case's customer (and record it on the case),
        once the agent has seen where it goes and what it says and said yes."""
        ready = self._ready()
        if ready is None or self.article is None or self.case is None:
            return
        article, case = ready
        shown, customer = self.article, self.case
        who = customer.contact or _("the customer")
        address = customer.contact_email
        if customer.contact_id is not None and not address:
            self.app.notify(_("{customer} has no e-mail address: the article cannot be sent")
                            .format(customer=who), severity="warning")
            return
        question = (_("Send {article} to {customer} <{address}>?") if address
                    else _("Send {article} to the case's customer?")).format(
            article=article, customer=who, address=address)
        detail = _("“{title}”: {start}").format(title=one_line(shown.title),
                                              start=preview(shown.body))

        def answered(yes: bool | None) -> None:
            if yes:
                self.operate(
                    partial(library.send_to_customer, self.desk, self.actor, article, case),
                    done=_("{article} sent to {customer}").format(article=article,
                                                                  customer=who),
                )

        self.app.push_screen(ConfirmPrompt(question, detail, yes=_("Send")), answered)

    def action_search(self) -> None:
        self.query_one("#kb-search", Input).focus()
