"""``casedesk kb …``: the knowledge base — write, publish, search, use and send articles."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import typer
from rich.markdown import Markdown
from rich.table import Table
from rich.text import Text

from casedesk import labels
from casedesk.cli import params
from casedesk.cli.format import say, when
from casedesk.cli.state import CliState, console, print_json
from casedesk.datafiles import decode_text, read_text_file
from casedesk.errors import ValidationError
from casedesk.i18n import N_, _
from casedesk.plain import cell, marked, plain
from casedesk.services.knowledge import guidance, library
from casedesk.services.queries.views import ArticleView
from casedesk.textsafe import visible

app = typer.Typer(
    help=_("Knowledge base: write, publish, search, use and send articles."), no_args_is_help=True
)

NUMBER = typer.Argument(
    ..., metavar="ARTICLE", help=_("Article number, e.g. KB-000042 or 42."),
    parser=params.article_number,
)
CASE = typer.Argument(
    ..., metavar="CASE", help=_("Case number, e.g. CS-000123."), parser=params.case_number
)
VERSION = typer.Option(
    None, "--version", help=_("Fail if the article changed since this version."),
    parser=params.integer("--version", 0, params.MAX_ID),
)


def _done(state: CliState, article: ArticleView, message: str) -> None:
    if state.json:
        print_json(article)
    else:
        say(console, article.label, ": ", message)


def _read_body(body: str | None, file: Path | None) -> str | None:
    if body is not None and file is not None:
        raise ValidationError(_("give the body with --body or --file, not both"))
    if file is None:
        return body
    if str(file) == "-":
        stream = getattr(sys.stdin, "buffer", None)
        data = stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
        return decode_text(data, _("standard input"))
    return read_text_file(file)


# --- the editor document: two header lines, a blank line, the Markdown body -------------


def edit_text(text: str, suffix: str = ".md") -> str | None:
    """Open ``text`` in ``$VISUAL`` / ``$EDITOR``; the saved text, or None if not saved."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    editor = editor or ("notepad" if os.name == "nt" else "vi")
    with tempfile.TemporaryDirectory(prefix="casedesk-") as tmp:
        path = Path(tmp) / f"article{suffix}"
        path.write_text(text, encoding="utf-8")
        before = path.stat().st_mtime_ns
        code = subprocess.run(f'{editor} "{path}"', shell=True, check=False).returncode
        if code != 0:
            raise ValidationError(
                _("the editor ({editor}) exited with code {code}: nothing saved; set "
                  "EDITOR").format(editor=editor, code=code)
            )
        if path.stat().st_mtime_ns == before:
            return None
        edited = path.read_text(encoding="utf-8")
    return None if edited == text else edited


def to_document(article: ArticleView) -> str:
    """What ``kb edit`` puts in the editor."""
    return f"Title: {article.title}\nKeywords: {article.keywords}\n\n{article.body}"


def from_document(text: str) -> tuple[str | None, str | None, str]:
    """(title, keywords, body) from an edited document; a removed header keeps its field."""
    title = keywords = None
    lines = text.split("\n")
    while lines:
        key, sep, value = lines[0].partition(":")
        if sep and key.strip().lower() == "title":
            title = value.strip()
        elif sep and key.strip().lower() == "keywords":
            keywords = value.strip()
        else:
            break
        lines.pop(0)
    if (title is not None or keywords is not None) and lines and not lines[0].strip():
        lines.pop(0)
    return title, keywords, "\n".join(lines)


# --- commands ---------------------------------------------------------------------------


@app.command("add", help=_("Draft an article."))
def add(
    ctx: typer.Context,
    title: str = typer.Option(..., "--title", "-t"),
    keywords: str = typer.Option("", "--keywords", "-k", help=_("Comma-separated.")),
    body: str | None = typer.Option(None, "--body", "-b", help=_("Markdown text.")),
    file: Path | None = typer.Option(None, "--file", "-f", help=_("Markdown file ('-': stdin).")),
    external_id: str | None = typer.Option(None, "--external-id", help=_("Id in another system.")),
) -> None:
    state: CliState = ctx.obj
    article = library.add_article(
        state.desk(),
        state.actor(),
        title=title,
        keywords=keywords,
        body=_read_body(body, file) or "",
        external_id=external_id,
    )
    _done(state, article, "drafted")


@app.command("edit", help=_(
    "Edit an article; with no field options, open it in $EDITOR (title, keywords, "
    "body)."
))
def edit(
    ctx: typer.Context,
    number: str = NUMBER,
    title: str | None = typer.Option(None, "--title", "-t"),
    keywords: str | None = typer.Option(None, "--keywords", "-k"),
    body: str | None = typer.Option(None, "--body", "-b"),
    file: Path | None = typer.Option(None, "--file", "-f", help=_("Markdown file ('-': stdin).")),
    version: int | None = VERSION,
) -> None:
    state: CliState = ctx.obj
    desk, actor = state.desk(), state.actor()
    text = _read_body(body, file)
    if title is None and keywords is None and text is None:
        current = library.get_article(desk, number)
        if version is None:  # saving fails if somebody else saves while the editor is open
            version = current.version
        edited = edit_text(to_document(current))
        if edited is None:
            say(console, current.label, ": ", _("no changes"))
            return
        title, keywords, text = from_document(edited)
        if text.strip() == current.body.strip():
            text = None
    article = library.edit_article(
        desk, actor, number, version=version, title=title, keywords=keywords, body=text
    )
    _done(state, article, _("saved (version {version})").format(version=article.version))


@app.command("show", help=_("Show an article, its body rendered, and where it was used."))
def show(
    ctx: typer.Context,
    number: str = NUMBER,
    raw: bool = typer.Option(False, "--raw", help=_("Print the Markdown source.")),
) -> None:
    state: CliState = ctx.obj
    article = library.get_article(state.desk(), number)
    if state.json:
        print_json(article)
        return
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row(_("article"), cell(f"{article.label}  {article.title}"))
    grid.add_row(_("status"), cell(_("{status} · version {version}").format(
        status=labels.label("article_status", article.status), version=article.version)))
    grid.add_row(_("keywords"), cell(article.keywords or "—"))
    grid.add_row(_("author"), cell(article.author_name or "—"))
    grid.add_row(_("from case"), cell(article.source_case or "—"))
    grid.add_row(_("updated"), when(article.updated_at))
    grid.add_row(_("used"), str(article.used_count))
    console.print(grid)
    console.print()
    if raw:
        console.print(plain(article.body))
    else:  # Markdown never parses Rich markup; controls shown, links not made clickable
        console.print(Markdown(visible(article.body), hyperlinks=False))
    if article.links:
        console.print()
        console.print(Text.assemble((_("links"), "bold"), " ", _("(latest first)")))
        for link in article.links:
            whom = f" → {link.contact}" if link.contact else ""
            say(
                console,
                f"  {when(link.at)}  {link.kind:<4}  {link.case} {link.case_title}{whom}"
                f" · {link.agent or _('system')}",
            )


def _transition(name: str, fn: Callable[..., ArticleView], message: str, doc: str) -> None:
    def command(ctx: typer.Context, number: str = NUMBER, version: int | None = VERSION) -> None:
        state: CliState = ctx.obj
        article = fn(state.desk(), state.actor(), number, version=version)
        _done(state, article, _(message))

    command.__doc__ = doc
    app.command(name, help=_(doc))(command)


_transition("publish", library.publish, N_("published"), N_("Supervisors: publish an article."))
_transition("retire", library.retire, N_("retired"), N_("Supervisors: retire an article."))


@app.command("delete", help=_("Delete an article (authors: their drafts; supervisors: any)."))
def delete(ctx: typer.Context, number: str = NUMBER) -> None:
    state: CliState = ctx.obj
    label = library.delete_article(state.desk(), state.actor(), number)
    if state.json:
        print_json({"deleted": label})
    else:
        say(console, label, ": ", _("deleted"))


@app.command(
    "search",
    help=_("Search articles by number, title, keywords and text (last word as a prefix)."),
)
def search(
    ctx: typer.Context,
    words: list[str] = typer.Argument(..., metavar="TEXT...", help=_("Number or words.")),
    all_: bool = typer.Option(False, "--all", help=_("Drafts and retired articles too.")),
    limit: int = typer.Option(
        20, "--limit", help=_("At most this many (1 to 200)."),
        parser=params.integer("--limit", 1, 200),
    ),
) -> None:
    state: CliState = ctx.obj
    text = " ".join(words)
    hits = library.search(
        state.desk(), text, statuses=None if all_ else ("published",), limit=limit
    )
    if state.json:
        print_json(hits)
        return
    table = Table(title=cell(_("search {words} ({count})").format(words=repr(text),
                                                                    count=len(hits))))
    table.add_column(_("article"), no_wrap=True)
    table.add_column(_("title"), ratio=1, min_width=20)
    if all_:
        table.add_column(_("status"), no_wrap=True)
    table.add_column(_("used"), justify="right")
    table.add_column(_("excerpt"), ratio=2)
    for hit in hits:
        cells: list[str | Text] = [cell(hit.label), cell(hit.title)]
        if all_:
            cells.append(cell(labels.label("article_status", hit.status)))
        table.add_row(*cells, str(hit.used_count), marked(hit.snippet))
    console.print(table)


@app.command("use", help=_("Record that an article helped on a case."))
def use(ctx: typer.Context, number: str = NUMBER, case: str = CASE) -> None:
    state: CliState = ctx.obj
    article = library.link_case(state.desk(), state.actor(), number, case)
    _done(state, article, _("used on {case}").format(case=case))


@app.command("send", help=_(
    "E-mail an article to the case's customer (logged as an outbound e-mail on the "
    "case)."
))
def send(
    ctx: typer.Context,
    number: str = NUMBER,
    case: str = CASE,
    contact: int | None = typer.Option(
        None, "--contact", help=_("Contact id (default: the case's)."),
        parser=params.record_id("--contact"),
    ),
    note: str = typer.Option("", "--note", help=_("A line before the article.")),
) -> None:
    state: CliState = ctx.obj
    sent = library.send_to_customer(
        state.desk(), state.actor(), number, case, contact_id=contact, note=note
    )
    if state.json:
        print_json(sent)
    else:
        say(console, _("{subject}: sent to {contact} on {case}").format(
            subject=sent.subject, contact=sent.contact, case=sent.case))


@app.command("from-case", help=_("Draft an article from a resolved case's problem and solution."))
def from_case(ctx: typer.Context, case: str = CASE) -> None:
    state: CliState = ctx.obj
    article = library.draft_from_case(state.desk(), state.actor(), case)
    _done(state, article, _("drafted from {case}").format(case=article.source_case))


@app.command("guide", help=_("Articles and solved cases that match a case."))
def guide(
    ctx: typer.Context,
    case: str = CASE,
    limit: int = typer.Option(
        5, "--limit",
        help=_("At most this many (1 to 50)."), parser=params.integer("--limit", 1, 50)
    ),
) -> None:
    state: CliState = ctx.obj
    result = guidance.guidance(state.desk(), case, limit=limit)
    if state.json:
        print_json(result)
        return
    articles = Table(title=cell(_("articles for {case}").format(case=result.case)))
    for col in (N_("article"), N_("title"), N_("why"), N_("excerpt")):
        articles.add_column(_(col))
    for a in result.articles:
        articles.add_row(
            cell(a.label), cell(a.title), cell("; ".join(a.reasons)), marked(a.snippet)
        )
    cases = Table(title=_("similar solved cases"))
    for col in (N_("case"), N_("title"), N_("resolution"), N_("articles")):
        cases.add_column(_(col))
    for c in result.cases:
        resolution = f"{c.resolution_type or '—'}: {c.resolution_notes or ''}"
        cases.add_row(
            cell(c.label), cell(c.title), cell(resolution), cell(", ".join(c.articles) or "—")
        )
    console.print(articles)
    console.print(cases)


@app.command(
    "reindex", help=_("Supervisors: rebuild the search index from the articles and cases."),
)
def reindex(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    report = library.reindex(state.desk(), state.actor())
    if state.json:
        print_json(report)
    else:
        say(
            console,
            _("search index rebuilt on {backend}: {articles} articles, {cases} cases in "
              "{seconds} s").format(backend=report.backend, articles=f"{report.articles:,}",
                                    cases=f"{report.cases:,}", seconds=f"{report.seconds:.2f}"),
        )
