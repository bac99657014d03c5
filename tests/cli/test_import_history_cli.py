"""The customers and history of a ticket export through the CLI: the summary's customer
line, a folder of Markdown articles, the new kinds' exports (issue 16 points 3–5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from tests.conftest import World

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"


def cli(db: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db, "--as", "maria", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(world: World, db_url: str) -> str:
    return db_url


def test_the_summary_counts_the_customers_apart(db: str, tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_bytes((DATA / "customer_support_tickets.csv").read_bytes())
    code, out, err = cli(db, "import", "cases", str(path), "--profile",
                         "customer-support-tickets", "--queue", "billing")
    assert code == 0, err
    assert "contacts: 11 created, 1 matched" in out
    code, out, err = cli(db, "--json", "import", "cases", str(path), "--profile",
                         "customer-support-tickets", "--queue", "billing")
    summary = json.loads(out)
    assert (summary["created"], summary["updated"], summary["unchanged"]) == (0, 0, 12)
    assert summary["customers"] == {"contacts": {"created": 0, "matched": 12}}


def test_articles_from_a_folder_and_a_file_refused_as_a_folder(db: str, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("# [red]Title[/]\n\nBody \x1b[2J text.\n", encoding="utf-8")
    code, out, err = cli(db, "import", "articles", str(folder))
    assert code == 0, err
    assert "\x1b" not in out
    code, out, err = cli(db, "import", "contacts", str(folder))
    assert code == 2 and err.count("\n") == 1 and "is a folder" in err
    code, out, err = cli(db, "export", "articles", "--format", "jsonl")
    assert code == 0, err
    (article,) = [json.loads(line) for line in out.splitlines()]
    assert article["title"] == "[red]Title[/]" and article["id"] == "a.md"


def test_the_new_kinds_export(db: str, tmp_path: Path) -> None:
    path = tmp_path / "contracts.csv"
    path.write_text("number,account,name\n=CT-1,Pérez Hogar,Soporte\n", encoding="utf-8")
    code, _, err = cli(db, "import", "contracts", str(path))
    assert code == 0, err
    code, out, err = cli(db, "export", "contracts")
    assert code == 0, err
    assert out.splitlines()[0] == "number,account,name,starts,ends,status"
    assert out.splitlines()[1].startswith("'=CT-1,")  # a formula is neutralised
