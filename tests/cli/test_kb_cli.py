"""``casedesk kb …`` through typer's CliRunner, on both databases."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from casedesk.cli.kb import from_document
from casedesk.db import make_engine
from casedesk.services.context import Desk
from casedesk.services.workflow import cases, transitions
from tests.conftest import build_world

runner = CliRunner()


@pytest.fixture
def kb_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test world's database, as CASEDESK_DATABASE_URL; acting as ana by default."""
    engine = make_engine(db_url)
    world = build_world(Desk(engine))
    c = cases.create_case(
        world.desk, world.ana, title="Sin conexión tras el corte", contact_id=world.contact_id
    )
    transitions.start(world.desk, world.ana, c.number)
    transitions.resolve(world.desk, world.ana, c.number, "solved", "Reset de la ONT.")
    cases.create_case(
        world.desk, world.ana, title="Sin conexión otra vez", contact_id=world.contact_id
    )
    engine.dispose()
    monkeypatch.setenv("CASEDESK_DATABASE_URL", db_url)
    monkeypatch.setenv("CASEDESK_AGENT", "ana")
    yield db_url


def kb(*args: str, who: str | None = None) -> tuple[int, str, str]:
    argv = ["--as", who] if who else []
    result = runner.invoke(app, [*argv, "kb", *args])
    return result.exit_code, result.stdout, result.stderr


def add(title: str = "Router sin conexión", body: str = "Reinicie el **router**.") -> str:
    code, out, err = kb("add", "-t", title, "-k", "wifi, fibra", "-b", body)
    assert code == 0, err
    return out.split(":")[0]


def test_add_show_publish_search(kb_db: str, tmp_path: Path) -> None:
    label = add()
    assert label == "KB-000001"
    code, out, _ = kb("show", "kb-1")
    assert code == 0 and "Router sin conexión" in out and "draft" in out and "wifi, fibra" in out
    code, _, err = kb("publish", label)
    assert code == 1 and "only supervisors may publish" in err and "Traceback" not in err
    code, out, _ = kb("publish", label, who="maria")
    assert code == 0 and out.strip() == "KB-000001: published"
    code, out, _ = kb("search", "router", "fib")
    assert code == 0 and "KB-000001" in out
    result = runner.invoke(app, ["--json", "kb", "search", "rout"])
    hits = json.loads(result.stdout)
    assert [h["label"] for h in hits] == ["KB-000001"]
    assert hits[0]["snippet"] == "Reinicie el **[b]router[/b]**."
    body = tmp_path / "body.md"
    body.write_text("## Pasos\n\n1. Apague el módem.\n", encoding="utf-8")
    code, out, _ = kb("add", "-t", "Módem", "--file", str(body))
    assert code == 0
    code, out, _ = kb("show", "2", "--raw")
    assert "1. Apague el módem." in out
    code, out, _ = kb("search", "modem")
    assert "KB-000002" not in out  # a draft
    code, out, _ = kb("search", "--all", "modem")
    assert "KB-000002" in out and "draft" in out


def test_edit_opens_the_editor(kb_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    label = add()
    script = tmp_path / "editor.py"
    script.write_text(
        textwrap.dedent(
            """
            import pathlib, sys
            path = pathlib.Path(sys.argv[1])
            text = path.read_text(encoding="utf-8")
            assert text.startswith("Title: Router sin conexión\\nKeywords: wifi, fibra\\n\\n")
            path.write_text(
                "Title: Router apagado\\nKeywords: luces\\n\\nCompruebe las *luces*.\\n",
                encoding="utf-8",
            )
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{script}"')
    code, out, err = kb("edit", label)
    assert code == 0, err
    assert out.strip() == "KB-000001: saved (version 2)"
    result = runner.invoke(app, ["--json", "kb", "show", label])
    article = json.loads(result.stdout)
    assert (article["title"], article["keywords"]) == ("Router apagado", "luces")
    assert article["body"] == "Compruebe las *luces*.\n" and article["version"] == 2
    code, out, _ = kb("search", "luces")
    assert code == 0 and "KB-000001" not in out  # still a draft
    code, out, _ = kb("search", "--all", "apagado")
    assert "KB-000001" in out


def test_edit_without_saving_and_with_a_stale_version(
    kb_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    label = add()
    quiet = tmp_path / "quiet.py"
    quiet.write_text("import sys\n", encoding="utf-8")
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{quiet}"')
    code, out, _ = kb("edit", label)
    assert code == 0 and "no changes" in out
    racing = tmp_path / "racing.py"  # somebody else saves while our editor is open
    racing.write_text(
        textwrap.dedent(
            f"""
            import pathlib, subprocess, sys
            subprocess.run(
                [sys.executable, "-m", "casedesk", "--as", "luis", "kb", "edit", "{label}",
                 "--title", "Cambiado por Luis"],
                check=True,
            )
            path = pathlib.Path(sys.argv[1])
            path.write_text(path.read_text(encoding="utf-8") + "más\\n", encoding="utf-8")
            """
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("EDITOR", f'"{sys.executable}" "{racing}"')
    code, _, err = kb("edit", label)
    assert code == 1 and "changed by somebody else (version 2, you had 1)" in err
    code, out, _ = kb("show", label)
    assert "Cambiado por Luis" in out


def test_fields_from_options(kb_db: str) -> None:
    label = add()
    code, out, _ = kb("edit", label, "--title", "Nuevo título", "--version", "1")
    assert code == 0 and "version 2" in out
    code, _, err = kb("edit", label, "--body", "x", "--version", "1")
    assert code == 1 and "you had 1" in err


def test_use_send_guide_from_case_reindex_delete(kb_db: str) -> None:
    label = add("Reset de la ONT", "Pulse reset en la ONT.")
    kb("publish", label, who="maria")
    code, out, _ = kb("use", label, "CS-000001")
    assert code == 0 and "used on CS-000001" in out
    code, out, err = kb("send", label, "cs-2", "--note", "Hola:")
    assert code == 0, err
    assert out.strip() == "KB-000001: Reset de la ONT: sent to Juan Pérez on CS-000002"
    result = runner.invoke(app, ["--json", "kb", "guide", "CS-000002"])
    guide = json.loads(result.stdout)
    assert guide["cases"][0]["label"] == "CS-000001"
    assert guide["articles"][0]["label"] == label
    code, out, _ = kb("guide", "CS-000002")
    assert code == 0 and "used on CS-000001" in out
    code, out, err = kb("from-case", "CS-000001")
    assert code == 0 and out.strip() == "KB-000002: drafted from CS-000001", err
    code, _, err = kb("reindex")
    assert code == 1 and "only supervisors" in err
    code, out, _ = kb("reindex", who="admin")
    assert code == 0 and "2 articles, 2 cases" in out
    code, out, _ = kb("show", label)
    assert "sent" in out and "used" in out and "Juan Pérez" in out
    code, out, _ = kb("delete", "KB-000002")
    assert code == 0 and "KB-000002: deleted" in out
    code, _, err = kb("show", "KB-000002")
    assert code == 1 and err.strip() == "casedesk: no article KB-000002: see `casedesk kb search`"


def test_editor_document_round_trip() -> None:
    assert from_document("Title: A: b\nKeywords: x, y\n\nCuerpo\n\nmás") == (
        "A: b",
        "x, y",
        "Cuerpo\n\nmás",
    )
    assert from_document("Solo cuerpo\nTitle: no") == (None, None, "Solo cuerpo\nTitle: no")
