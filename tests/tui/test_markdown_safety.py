"""An article's Markdown body (issue 10): it may be shown with Textual's Markdown only if it
cannot produce an action or crash the screen. Verified here on the knowledge screen's own
preview: for hostile and random bodies, rendering never raises, no raw control reaches the
drawn blocks, and the only click actions in what is drawn are ``link(<href>)`` on the
block itself, which the knowledge screen answers by saying where the link points (it
opens nothing; see tests/tui/test_hostile.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.actions import parse
from textual.app import App, ComposeResult
from textual.style import Style
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBlock

from casedesk.textsafe import visible
from tests.hostile import CORPUS, has_raw_control

#: Markdown built to smuggle an action in: hrefs that look like actions or break quoting,
#: raw HTML, autolinks, images, reference links, nested brackets.
NASTY_MARKDOWN = [
    "[quit](app.quit)",
    "[quit](app.quit())",
    "[q](')+app.quit(')",
    '[q]("); app.quit(")',
    "[q](javascript:app.quit)",
    "[q](<app.quit>)",
    "![img](app.quit)",
    "<a href='#' onclick='app.quit'>x</a>",
    "<https://evil.example>",
    "[ref][1]\n\n[1]: app.quit",
    "[[@click=app.quit]x[/]](https://evil.example)",
    "`[@click=app.quit]code[/]`",
    "```python\n[@click=app.quit]x[/]\n```",
    "```[@click=app.quit]\nx\n```",
    "| a | [/] |\n|---|---|\n| [@click=app.quit]x[/] | b |",
    "# [/]\n\n> [@click=app.quit]quote[/]\n\n- [/bold]\n- [ ] [/]",
]


class Preview(App[None]):
    def compose(self) -> ComposeResult:
        yield Markdown("", id="preview", open_links=False)


def click_actions(app: App[Any]) -> list[str]:
    """Every ``@click`` action in the content of the drawn Markdown blocks."""
    found: list[str] = []
    for block in app.query(MarkdownBlock):
        for span in block._content.spans:
            if isinstance(span.style, Style):
                action = span.style.meta.get("@click")
                if action is not None:
                    found.append(action)
    return found


def block_text(app: App[Any]) -> str:
    return "\n".join(block._content.plain for block in app.query(MarkdownBlock))


async def render(bodies: list[str]) -> list[tuple[str, list[str], str]]:
    """(body, click actions, drawn text) for each body, shown the way the screen shows it."""
    out: list[tuple[str, list[str], str]] = []
    app = Preview()
    async with app.run_test(size=(100, 40)) as pilot:
        markdown = app.query_one(Markdown)
        for body in bodies:
            await markdown.update(visible(body))
            await pilot.pause()
            assert app.is_running
            out.append((body, click_actions(app), block_text(app)))
    return out


def check(results: list[tuple[str, list[str], str]]) -> None:
    for body, actions, text in results:
        assert not has_raw_control(text), body
        for action in actions:
            namespace, name, _params = parse(action)
            assert (namespace, name) == ("", "link"), (body, action)


def test_hostile_and_action_smuggling_bodies_render_as_links_or_text_only() -> None:
    results = asyncio.run(render([*CORPUS, *NASTY_MARKDOWN]))
    check(results)
    by_body = {body: actions for body, actions, _ in results}
    assert by_body["[quit](app.quit)"] == ["link('app.quit')"]  # a link, never the action
    assert by_body["[@click=app.quit]click me[/]"] == []
    drawn = {body: text for body, _, text in results}
    assert "[@click=app.quit]click me[/]" in drawn["[@click=app.quit]click me[/]"]


_MARKDOWNISH = st.text(
    alphabet=st.sampled_from(list("[]()<>!@=#*_`|-:/\\'\" \nabcq.") + ["\x1b", "\u202e"]),
    max_size=120,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_MARKDOWNISH, min_size=1, max_size=5))
def test_random_markdown_never_crashes_or_makes_actions(bodies: list[str]) -> None:
    check(asyncio.run(render(bodies)))
