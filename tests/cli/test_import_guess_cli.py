"""``casedesk import guess``, ``--value``, ``--profile`` and ``--write-profile`` through the
CLI: output, one-line errors and exit codes (issue 16)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from tests.conftest import World

runner = CliRunner()
DATA = Path(__file__).resolve().parents[1] / "data"


def cli(db: str | None, *args: str, who: str | None = "maria") -> tuple[int, str, str]:
    argv = [*(["--db", db] if db else []), *(["--as", who] if who else []), *args]
    result = runner.invoke(app, argv)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(world: World, db_url: str) -> str:
    return db_url


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.csv"
    path.write_bytes((DATA / "customer_support_tickets.csv").read_bytes())
    return path


def test_guess_proposes_a_profile_and_previews_rows(tickets: Path) -> None:
    code, out, err = cli(None, "import", "guess", "cases", str(tickets), who=None)
    assert code == 0, err
    profile_text = out[: out.index("Preview:")]
    profile = tomllib.loads(profile_text)
    assert profile["kind"] == "cases"
    assert profile["columns"]["Ticket Subject"] == "title"
    assert profile["columns"]["Ticket Priority"] == "priority"
    assert profile["columns"]["Customer Name"] == "customer_name"
    assert profile["columns"]["Customer Email"] == "customer_email"
    assert profile["columns"]["Customer Satisfaction Rating"] == "satisfaction"
    assert profile["columns"]["First Response Time"] == "first_response_at"
    assert profile["values"]["priority"] == {"Critical": "?", "Low": "low", "High": "high",
                                             "Medium": "medium"}
    assert profile["values"]["status"]["Pending Customer Response"] == "awaiting_customer"
    assert profile["values"]["channel"]["Social media"] == "?"
    assert '"Critical" = "?"  # 5 rows, no match: fill it in' in out
    assert 'values have no proposal ("?")' in err
    # the preview: literal text, one line per value, the multi-line description joined
    assert "line 1: rejected: priority: \"Critical\" is not a priority" in out
    assert "The [bold]screen[/] f…" in out  # literal, shortened to one line
    assert "line 5: imported" in out


def test_guess_shows_hostile_cells_literally(tmp_path: Path) -> None:
    path = tmp_path / "evil.csv"
    path.write_text('id,subject,priority\nX1,"[red]boom[/] \x1b[2J\u202eoops",alta\n'
                    'X2,"=cmd|\' /C calc\'!A0","[link=x]Crítica"\n', encoding="utf-8")
    code, out, err = cli(None, "import", "guess", "cases", str(path), who=None)
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out
    assert "[red]boom[/]" in out and "=cmd|' /C calc'!A0" in out
    assert tomllib.loads(out[: out.index("Preview:")])["values"]["priority"] == {
        "alta": "high", "[link=x]Crítica": "?"}


def test_guess_reads_spanish_headers(tmp_path: Path) -> None:
    path = tmp_path / "casos.csv"
    path.write_bytes((DATA / "casos_es.csv").read_bytes())
    code, out, _ = cli(None, "import", "guess", "cases", str(path), who=None)
    assert code == 0
    profile = tomllib.loads(out[: out.index("Preview:")])
    assert {k: v for k, v in profile["columns"].items() if v != "extras"} == {
        "Nº Ticket": "external_id", "Asunto": "title", "Descripción": "description",
        "Prioridad": "priority", "Estado": "status", "Canal": "channel",
        "Fecha de apertura": "created_at", "Teléfono": "customer_phone"}
    assert profile["date_order"] == "dayfirst"
    assert profile["values"]["status"]["Pendiente del cliente"] == "awaiting_customer"
    assert profile["values"]["channel"] == {"Teléfono": "phone", "Correo electrónico": "email",
                                            "WhatsApp": "chat", "Tienda": "visit"}
    assert re.search(r"\n  description +No hay línea desde ayer\. Llamó dos veces\.\n", out)


def test_guess_for_contacts_strips_the_customer_prefix(tickets: Path) -> None:
    code, out, _ = cli(None, "import", "guess", "contacts", str(tickets), who=None)
    assert code == 0
    columns = tomllib.loads(out[: out.index("Preview:")])["columns"]
    assert columns["Customer Name"] == "name" and columns["Customer Email"] == "email"


def test_write_profile_then_import_with_it(db: str, tickets: Path, tmp_path: Path) -> None:
    written = tmp_path / "tickets.toml"
    code, out, _ = cli(db, "import", "guess", "cases", str(tickets), "--write-profile",
                       str(written), "--map", "Customer Email=extras")
    assert code == 0 and f"profile written to {written}" in out
    code, _, err = cli(db, "import", "guess", "cases", str(tickets), "--write-profile",
                       str(written))
    assert code == 2 and "the file exists" in err
    # as proposed, the "?" values make the profile unusable: one line, exit 2
    code, _, err = cli(db, "import", "cases", str(tickets), "--profile", str(written),
                       "--queue", "technical")
    assert code == 2
    assert err.strip() == (f'casedesk: profile {written}: values.priority.Critical: "?" is '
                           "not a priority (high, low, medium)")
    text = written.read_text(encoding="utf-8").replace(
        '"Critical" = "?"', '"Critical" = "high"').replace('"Social media" = "?"',
                                                           '"Social media" = "chat"')
    written.write_text(text, encoding="utf-8")
    code, out, err = cli(db, "--json", "import", "cases", str(tickets), "--profile",
                         str(written), "--queue", "technical")
    assert code == 0, err
    assert json.loads(out)["created"] == 12


def test_import_lists_unmapped_values_and_a_snippet(db: str, tickets: Path) -> None:
    code, out, err = cli(db, "import", "cases", str(tickets), "--queue", "technical",
                         "--map", "Customer Email=extras", "--value", "priority:Critical=high")
    assert code == 1
    assert 'channel: values with no mapping (rows): "Social media" (7)' in out
    assert 'status: values with no mapping (rows): "Pending Customer Response" (4)' in out
    assert "[values.channel]  # chat, email, letter, phone, visit, web" in out
    assert '"Social media" = "?"  # 7 rows' in out
    assert "tickets.rejects.csv" in out
    assert 'channel: "Social media" is not a channel' in err
    code, out, _ = cli(db, "--json", "import", "cases", str(tickets), "--queue", "technical",
                       "--map", "Customer Email=extras", "--value", "priority:Critical=high",
                       "--value", "channel:SOCIAL MEDIA=chat", "--value",
                       "status:pending customer response=awaiting_customer")
    assert code == 0 and json.loads(out)["rejected"] == 0


def test_a_shipped_profile_by_name(db: str, tickets: Path) -> None:
    code, out, err = cli(db, "--json", "import", "cases", str(tickets), "--profile",
                         "customer-support-tickets", "--queue", "billing")
    assert code == 0, err
    assert json.loads(out) == {"read": 12, "created": 12, "updated": 0, "unchanged": 0,
                               "rejected": 0, "rejects": None,
                               "customers": {"contacts": {"created": 11, "matched": 1}}}


def test_dry_run_write_profile_writes_it_and_imports_nothing(db: str, tickets: Path,
                                                             tmp_path: Path) -> None:
    written = tmp_path / "p.toml"
    code, out, _ = cli(db, "import", "cases", str(tickets), "--dry-run", "--write-profile",
                       str(written), "--queue", "technical", "--profile",
                       "customer-support-tickets")
    assert code == 0
    assert "dry run, nothing written" in out and "Preview:" in out
    assert tomllib.loads(written.read_text(encoding="utf-8"))["values"]["priority"][
        "Critical"] == "high"  # the profile's map, taken as given
    code, out, _ = cli(db, "--json", "import", "cases", str(tickets), "--profile",
                       str(written), "--queue", "technical")
    assert code == 0 and json.loads(out)["created"] == 12


@pytest.mark.parametrize(("args", "message"), [
    (["import", "guess", "{path}"], "usage: casedesk import guess KIND FILE"),
    (["import", "guess", "tickets", "{path}"], "usage: casedesk import guess KIND FILE"),
    (["import", "guess", "emails", "{path}"], "usage: casedesk import guess KIND FILE"),
    (["import", "guess", "cases", "nowhere.csv"], "no such file: nowhere.csv"),
    (["import", "cases", "{path}", "--value", "priority"], "bad --value 'priority': write it"),
    (["import", "cases", "{path}", "--value", "mood:x=y"], "cases have no coded field 'mood'"),
    (["import", "cases", "{path}", "--profile", "nope"],
     "--profile 'nope': no such file and no shipped profile of that name (shipped: "),
    (["import", "contacts", "{path}", "--profile", "zendesk-tickets"],
     "profile zendesk-tickets: the profile is for cases, not contacts"),
    (["import", "cases", "{path}", "--write-profile", "x.toml"],
     "--write-profile goes with --dry-run"),
    (["import", "emails", "{path}", "--profile", "zendesk-tickets"],
     "--profile is for table-shaped files, not emails"),
])
def test_one_line_errors_exit_2(db: str, tickets: Path, args: list[str], message: str) -> None:
    argv = [a.replace("{path}", str(tickets)) for a in args]
    code, out, err = cli(db, *argv)
    assert code == 2, (out, err)
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_a_bad_profile_file_is_one_line(db: str, tickets: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("kind = 'cases'\n[columns\n", encoding="utf-8")
    code, _, err = cli(db, "import", "cases", str(tickets), "--profile", str(bad))
    assert code == 2 and f"profile {bad}: not valid TOML" in err
    assert len(err.strip().splitlines()) == 1
    bad.write_bytes(b"kind = '\xff'\n")
    code, _, err = cli(db, "import", "cases", str(tickets), "--profile", str(bad))
    assert code == 2 and "cannot read it" in err
