"""``casedesk import`` and ``casedesk export`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from casedesk.cli import app
from tests.conftest import World

runner = CliRunner()
CONTACTS = "id;Nombre;Correo Electrónico\nC1;Juan Peña;juan@example.es\nC2;Mal;juan@\n"


def cli(db: str, *args: str, who: str | None = "maria") -> tuple[int, str, str]:
    argv = ["--db", db, *(["--as", who] if who else []), *args]
    result = runner.invoke(app, argv)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(world: World, db_url: str) -> str:
    return db_url


def test_import_exit_codes_summary_and_rejects(db: str, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS, encoding="cp1252")
    code, out, err = cli(db, "import", "contacts", str(path))
    assert code == 1
    assert "read" in out and "rejected" in out and "contacts.rejects.csv" in out
    assert 'contacts.csv:3: email: "juan@" is not an e-mail address' in err
    rejects = (tmp_path / "contacts.rejects.csv").read_text(encoding="cp1252")
    assert rejects.splitlines()[-1].startswith("C2;Mal;juan@;")
    path.write_text(CONTACTS.splitlines(keepends=True)[0] + CONTACTS.splitlines()[1] + "\n",
                    encoding="cp1252")
    code, out, _ = cli(db, "--json", "import", "contacts", str(path))
    assert code == 0
    assert json.loads(out) == {"read": 1, "created": 0, "updated": 0, "unchanged": 1,
                               "rejected": 0, "rejects": None}
    code, out, _ = cli(db, "import", "contacts", str(path), "--json", "--dry-run")
    assert code == 0 and json.loads(out)["unchanged"] == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "people", "x.csv"], "'people' is not one of: contacts, accounts"),
        (["import", "contacts", "missing.csv"], "no such file: missing.csv"),
        (["import", "contacts", "{path}", "--map", "Nombre"], 'write it as "COLUMN=FIELD"'),
        (["import", "contacts", "{path}", "--map", "Nombre=nope"], "have no field 'nope'"),
        (["import", "contacts", "{path}", "--encoding", "utf-8"], "cannot read contacts.csv"),
        (["import", "contacts", "{path}", "--on-error", "maybe"],
         "'maybe' is not one of: skip, abort"),
        (["export", "people"], "'people' is not one of: contacts"),
        (["export", "contacts", "--format", "xml"], "'xml' is not one of: csv, jsonl"),
    ],
)
def test_unusable_input_is_exit_2_with_one_line(db: str, tmp_path: Path, args: list[str],
                                                 message: str) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(CONTACTS.encode("cp1252"))
    code, _, err = cli(db, *[a.replace("{path}", str(path)) for a in args])
    assert code == 2, err
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_abort_imports_nothing_and_exits_1(db: str, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS)
    code, _, err = cli(db, "import", "contacts", str(path), "--on-error", "abort")
    assert code == 1 and "nothing imported (--on-error abort)" in err
    code, out, _ = cli(db, "--json", "export", "contacts")
    assert code == 0 and "juan@example.es" not in out


def test_export_csv_and_jsonl(db: str, tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS.replace("juan@\n", "mal@example.es\n"))
    assert cli(db, "import", "contacts", str(path))[0] == 0
    code, out, _ = cli(db, "export", "contacts")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "id,name,email,phone,account,marketing_consent,created_at,extras"
    assert any(line.startswith("C1,Juan Peña,juan@example.es") for line in lines)
    target = tmp_path / "out.jsonl"
    code, _, err = cli(db, "export", "contacts", "--format", "jsonl", "-o", str(target))
    assert code == 0 and "exported 3 contacts" in err
    records = [json.loads(x) for x in target.read_text().splitlines()]
    assert {r["id"] for r in records} >= {"C1", "C2"}
    code, out, _ = cli(db, "--json", "import", "contacts", str(target))
    assert json.loads(out)["unchanged"] == 3


def test_agents_bootstrap_without_actor(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert runner.invoke(app, ["--db", url, "db", "upgrade"]).exit_code == 0
    agents = tmp_path / "agents.csv"
    agents.write_text("login,nombre,rol\nadmin,Admin,admin\nana,Ana,agente\n")
    code, out, err = cli(url, "--json", "import", "agents", str(agents), who=None)
    assert code == 0, err
    assert json.loads(out)["created"] == 2
    code, _, err = cli(url, "import", "contacts", str(agents), who="ana")
    assert code == 1 and "only supervisors may import records" in err
