"""Every CLI listing and export, fed the hostile corpus (issue 10, point 1).

A database is seeded through the services with every storable hostile string as case
titles, descriptions and notes, agent, queue and contact names, article titles and bodies,
and task titles. Then every listing runs: none may crash, the text must be printed
literally (markup shown, not parsed), no terminal control may reach stdout raw, and CSV
cells never start with a formula prefix unless ``--raw-formulas``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.cli import state as cli_state
from casedesk.db import write_session
from casedesk.errors import CaseDeskError
from casedesk.models import Agent
from casedesk.services.directory import customers, queue_setup, staff
from casedesk.services.knowledge import library
from casedesk.services.workflow import cases as case_service
from casedesk.services.workflow import tasks as task_service
from casedesk.textsafe import FORMULA_PREFIXES
from tests.conftest import World
from tests.hostile import STORABLE, has_raw_control

runner = CliRunner()

#: Markup that must appear literally in listings (no spaces, so wrapping cannot split it).
LITERAL = ["[/bold]", "[/]", "[@click=app.quit]click", "[link=https://evil.example]phish[/link]"]
#: The short strings (the 100 kB word makes tables slow to lay out; it is seeded once).
SHORT = [s for s in STORABLE if len(s) < 1000]


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A console wide enough that short titles are not cut with an ellipsis."""
    monkeypatch.setattr(cli_state.console, "width", 400)
    monkeypatch.setattr(cli_state.err_console, "width", 400)
    yield


def _try(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """Seed one record; a service may refuse a string (that is its right), never crash."""
    try:
        return fn(*args, **kwargs)
    except (CaseDeskError, DBAPIError):  # e.g. PostgreSQL: a 100 kB title is too long
        return None


@pytest.fixture
def hostile(world: World, db_url: str) -> dict[str, list[str]]:
    desk = world.desk
    numbers: list[str] = []
    articles: list[str] = []
    for i, text in enumerate(STORABLE):
        case = _try(case_service.create_case, desk, world.sup, title=text, description=text,
                    queue="technical")
        if case is not None:
            numbers.append(case.label)
            _try(case_service.add_note, desk, world.sup, case.label, text)
        _try(staff.add_agent, desk, world.admin, login=f"h{i}", name=text,
             queues=["technical"])
        _try(queue_setup.add_queue, desk, world.sup, name=text, description=text,
             members=["maria"])
        _try(customers.add_contact, desk, name=text)
        article = _try(library.add_article, desk, world.sup, title=text, keywords=text,
                       body=text)
        if article is not None:
            articles.append(article.label)
            _try(library.publish, desk, world.sup, article.label)
        _try(task_service.add_task, desk, world.sup, title=text,
             case=case.label if case else None)
    assert len(numbers) >= len(STORABLE) - 3, "the services refused most hostile titles"
    with write_session(desk.engine) as session:  # room in María's bin for every `case next`
        session.execute(update(Agent).where(Agent.login == "maria").values(capacity=1000))
    return {"cases": numbers, "articles": articles}


def run(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db_url, "--as", "maria", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        args, repr(result.exception))
    assert "Traceback" not in result.stdout + result.stderr, args
    return result.exit_code, result.stdout, result.stderr


def clean(db_url: str, *args: str) -> str:
    """Run a command that must succeed, with nothing raw reaching the terminal."""
    code, out, err = run(db_url, *args)
    assert code == 0, (args, err)
    assert not has_raw_control(out), (args, [c for c in out if has_raw_control(c)][:5])
    assert not has_raw_control(err), args
    return out


def test_listings_print_hostile_text_literally(hostile: dict[str, list[str]], db_url: str,
                                               wide_console: None) -> None:
    """Every listing, search and show; then ``case next`` through every hostile title."""
    listings = [
        ("case", "list"),
        ("case", "list", "--queue", "technical", "--limit", "200"),
        ("case", "list", "--mine", "--limit", "200"),
        ("case", "list", "--status", "new", "--limit", "200"),
        ("agent", "list"),
        ("queue", "list"),
        ("task", "list", "--all"),
        ("sla", "policy", "list"),
    ]
    outputs = {args: clean(db_url, *args) for args in listings}
    for args in [("case", "list", "--queue", "technical", "--limit", "200"), ("agent", "list"),
                 ("queue", "list")]:
        for token in LITERAL:
            assert token in outputs[args], (args, token)
    for text in SHORT:  # every hostile string as a search: no crash, nothing raw
        if text.strip():
            clean(db_url, "case", "list", "--search", text)
            code, out, _ = run(db_url, "kb", "search", "--all", "--", text)
            assert code in (0, 1) and not has_raw_control(out), text

    # every case and article shown, then every case taken with `case next`
    shown = ""
    for number in hostile["cases"]:
        shown += clean(db_url, "case", "show", number)
        clean(db_url, "sla", "explain", number)
        clean(db_url, "--json", "case", "show", number)
        clean(db_url, "kb", "guide", number)
    for token in LITERAL:
        assert token in shown, token
    for label in hostile["articles"]:
        clean(db_url, "kb", "show", label)
        clean(db_url, "kb", "show", "--raw", label)
    for _ in range(len(hostile["cases"])):  # never takes a case and then crashes
        out = clean(db_url, "case", "next", "technical")
        assert "taken from technical" in out


def test_agent_and_queue_add_with_markup_in_the_name(world: World, db_url: str) -> None:
    out = clean(db_url, "agent", "add", "bolder", "--name", "Ana [/bold] \x1b]0;x\x07")
    assert "[/bold]" in out and "added" in out
    out = clean(db_url, "queue", "add", "[/bold]", "--description", "[/]")
    assert "queue [/bold] (general) added" in out


def test_exports(hostile: dict[str, list[str]], db_url: str, tmp_path: Path) -> None:
    """CSV: no cell starts with a formula prefix (unless --raw-formulas), nothing raw on
    the terminal; JSON Lines: the stored text, exactly; -o FILE: the same bytes."""
    for kind in ("cases", "contacts", "agents", "queues", "articles"):
        out = clean(db_url, "export", kind)
        cells = [c for row in list(csv.reader(io.StringIO(out)))[1:] for c in row]
        phones = {row[3] for row in list(csv.reader(io.StringIO(out)))[1:]} if (
            kind == "contacts") else set()
        assert not [c for c in cells if c.startswith(FORMULA_PREFIXES) and c not in phones
                    ], kind
        assert all(p.startswith("'") or not p.startswith("+") or p[1:2].isdigit()
                   for p in phones)
        assert any(c.startswith("'=") for c in cells), f"{kind}: the formulas were exported"
        code, raw, _ = run(db_url, "export", kind, "--raw-formulas")
        assert code == 0
        raw_cells = [c for row in csv.reader(io.StringIO(raw)) for c in row]
        assert any(c.startswith("=") for c in raw_cells), kind
        target = tmp_path / f"{kind}.csv"
        clean(db_url, "export", kind, "-o", str(target))
        assert target.read_text(encoding="utf-8") == out
    for kind, name in (("cases", "title"), ("contacts", "name")):
        out = clean(db_url, "export", kind, "--format", "jsonl")
        stored = {json.loads(line)[name] for line in out.splitlines()}
        assert {s for s in SHORT if s.startswith("=")} <= stored, kind
        assert any("\x1b" in s for s in stored), "JSON Lines keeps the escapes as data"
