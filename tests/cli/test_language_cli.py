"""The command line in the reader's language (issue 15 point 1), run as a person runs it: a
fresh ``casedesk`` process. Spanish and English side by side — help pages with click's and
typer's own words, usage errors, refusals, tables whose statuses and dates follow the
language (JSON keeps codes and ISO 8601) — and where the language comes from: ``--lang``
(before or after the command, or on one batch line), ``LANG``, the config file."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

#: the console script a person runs (its help says `casedesk`, not `python -m casedesk`)
_SCRIPT = Path(sys.executable).with_name("casedesk")
CASEDESK = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "casedesk"]
_LOCALE = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2} [A-Z+\-0-9:]+")
DAY_FIRST_TIME = re.compile(r"\b\d{2}/\d{2}/\d{4} \d{2}:\d{2} [A-Z+\-0-9:]+")


def _env(folder: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CASEDESK_") and k not in _LOCALE}
    env.update(CASEDESK_CONFIG_DIR=str(folder / "config"), CASEDESK_DATA_DIR=str(folder / "data"),
               COLUMNS="200", TZ="UTC", **extra)
    return env


def run(folder: Path, *args: str, stdin: str | None = None,
        **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CASEDESK, *args], capture_output=True,
                          text=True, env=_env(folder, **env), timeout=120,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL)


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("language")
    path = folder / "demo.db"
    done = run(folder, "--db", f"sqlite:///{path}", "demo", "--cases", "5")
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "demo.db"
    shutil.copy(demo_file, copy)
    return f"sqlite:///{copy}"


# --- help pages: ours and the libraries' words ---------------------------------------


def test_help_in_spanish_end_to_end(tmp_path: Path) -> None:
    done = run(tmp_path, "--lang", "es", "case", "--help")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for words in ("Uso: casedesk case", "Opciones", "Comandos", "Mostrar este mensaje y salir.",
                  "Casos: crearlos, verlos, listarlos", "Ver un caso y su historial."):
        assert words in out, words
    for english in ("Usage:", "Options", "Show this message", "Show a case and its timeline"):
        assert english not in out, english


def test_help_in_english(tmp_path: Path) -> None:
    done = run(tmp_path, "--lang", "en", "case", "show", "--help")
    assert done.returncode == 0, done.stderr
    for words in ("Usage: casedesk case show", "Arguments", "Options",
                  "Show this message and exit.", "Show a case and its timeline.",
                  "Case number, e.g. CS-000123 or 123."):
        assert words in done.stdout, words


def test_a_commands_own_help_and_its_arguments_in_spanish(tmp_path: Path) -> None:
    done = run(tmp_path, "case", "show", "--help", "--lang", "es")  # the flag after the command
    assert done.returncode == 0, done.stderr
    for words in ("Uso: casedesk case show", "Argumentos", "Número de caso, p. ej. CS-000123",
                  "[obligatorio]"):
        assert words in done.stdout, words


# --- usage errors and refusals: one line, the documented exit code ---------------------


@pytest.mark.parametrize(("lang", "argv", "expected"), [
    ("es", ["case", "show"], "casedesk: Falta el argumento 'CASE'. (ver `casedesk case show "
                             "--help`)"),
    ("en", ["case", "show"], "casedesk: Missing argument 'CASE'. (see `casedesk case show "
                             "--help`)"),
    ("es", ["case", "list", "--bogus"], "casedesk: No existe la opción: --bogus"),
    ("en", ["case", "list", "--bogus"], "casedesk: No such option: --bogus"),
    ("es", ["case", "list", "--status", "zz"],
     "casedesk: Valor no válido para '--status': 'zz' no es uno de: new, in_progress"),
    ("en", ["case", "list", "--status", "zz"],
     "casedesk: Invalid value for '--status': 'zz' is not one of: new, in_progress"),
    ("es", ["case", "list", "a", "b"], "casedesk: Sobran argumentos (a b)"),
    ("es", ["nosuch"], "casedesk: No existe el comando 'nosuch'."),
])
def test_a_usage_error_is_one_line_in_the_language_and_exit_2(
    tmp_path: Path, lang: str, argv: list[str], expected: str
) -> None:
    done = run(tmp_path, "--lang", lang, *argv)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), done.stderr


@pytest.mark.parametrize(("lang", "expected"), [
    ("es", "casedesk: 'abc' no es un número de caso (se espera p. ej. CS-000123)"),
    ("en", "casedesk: 'abc' is not a case number (expected e.g. CS-000123)"),
])
def test_a_refusal_is_one_line_in_the_language_and_exit_1(db: str, tmp_path: Path, lang: str,
                                                          expected: str) -> None:
    done = run(tmp_path, "--db", db, "--as", "maria", "--lang", lang, "case", "show", "abc")
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == expected


def test_a_service_refusal_in_spanish(db: str, tmp_path: Path) -> None:
    done = run(tmp_path, "--db", db, "--as", "maria", "--lang", "es", "case", "edit",
               "CS-000001")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().startswith("casedesk: indica qué cambiar: --title")


# --- tables: statuses and dates in the language; JSON keeps codes and ISO 8601 ----------


def test_a_case_list_in_spanish_has_spanish_statuses_and_day_first_dates(
    db: str, tmp_path: Path
) -> None:
    done = run(tmp_path, "--db", db, "--as", "maria", "--lang", "es", "case", "list")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"casos \(\d+\)", out) and "número" in out and "estado" in out
    assert {"nuevo", "en curso", "esperando al cliente", "resuelto"} & set(
        re.findall(r"nuevo|en curso|esperando al cliente|resuelto", out))
    assert "in_progress" not in out and "new " not in out
    assert DAY_FIRST_TIME.search(out) and not ISO_TIME.search(out), out


def test_the_same_list_in_english_keeps_iso_days(db: str, tmp_path: Path) -> None:
    done = run(tmp_path, "--db", db, "--as", "maria", "--lang", "en", "case", "list")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"cases \(\d+\)", out) and "number" in out and "status" in out
    assert re.search(r"\bnew\b|in progress|awaiting customer|resolved", out)
    assert ISO_TIME.search(out) and not DAY_FIRST_TIME.search(out), out


def test_a_case_panel_in_spanish(db: str, tmp_path: Path) -> None:
    done = run(tmp_path, "--db", db, "--as", "maria", "--lang", "es", "case", "show",
               "CS-000001", "--no-history")
    assert done.returncode == 0, done.stderr
    for words in ("estado", "prioridad / gravedad", "resolución vence", "creado"):
        assert words in done.stdout, words
    assert DAY_FIRST_TIME.search(done.stdout)


def test_json_keeps_english_keys_codes_and_iso_times(db: str, tmp_path: Path) -> None:
    done = run(tmp_path, "--db", db, "--as", "maria", "--lang", "es", "--json", "case", "list")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and {"status", "priority", "due_at"} <= set(rows[0])
    assert {r["status"] for r in rows} <= {"new", "in_progress", "awaiting_customer",
                                          "resolved", "closed", "cancelled"}
    assert re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", rows[0]["due_at"])


# --- where the language comes from ----------------------------------------------------


def test_lang_from_the_locale(tmp_path: Path) -> None:
    done = run(tmp_path, "case", "show", LANG="es_ES.UTF-8")
    assert done.returncode == 2
    assert "Falta el argumento 'CASE'" in done.stderr


def test_a_locale_the_desk_does_not_speak_means_english(tmp_path: Path) -> None:
    done = run(tmp_path, "case", "show", LANG="fr_FR.UTF-8")
    assert done.returncode == 2
    assert "Missing argument 'CASE'" in done.stderr


def test_lang_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('language = "es"\n', encoding="utf-8")
    done = run(tmp_path, "case", "--help", LANG="en_GB.UTF-8")  # the file wins over the locale
    assert done.returncode == 0, done.stderr
    assert "Uso: casedesk case" in done.stdout and "Mostrar este mensaje y salir." in done.stdout
    flag = run(tmp_path, "--lang", "en", "case", "--help")  # and the flag over the file
    assert "Usage: casedesk case" in flag.stdout


@pytest.mark.parametrize("argv", [["--lang", "fr", "case", "list"], ["case", "list", "--lang=fr"],
                                  ["--lang", "", "case", "list"]])
def test_an_unknown_language_is_one_line_and_exit_2(tmp_path: Path, argv: list[str]) -> None:
    done = run(tmp_path, *argv)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("casedesk: --lang: unknown language"), lines
    assert "Traceback" not in done.stderr


def test_a_batch_line_speaks_its_own_language(db: str, tmp_path: Path) -> None:
    lines = "case show abc --lang es\ncase show abc\n--lang=es case show\ncase show x --lang fr\n"
    done = run(tmp_path, "--db", db, "--as", "maria", "batch", stdin=lines)
    out = done.stdout.strip().splitlines()
    assert out[0] == "error (exit 1): 'abc' no es un número de caso (se espera p. ej. CS-000123)"
    assert out[1] == "error (exit 1): 'abc' is not a case number (expected e.g. CS-000123)"
    assert out[2].startswith("error (exit 2): Falta el argumento 'CASE'.")
    assert out[3].startswith("error (exit 2): --lang: unknown language 'fr'")
    assert done.returncode == 2


def test_a_spanish_batch_says_its_results_in_spanish(db: str, tmp_path: Path) -> None:
    done = run(tmp_path, "--lang", "es", "--db", db, "--as", "maria", "batch",
               stdin="case show abc\n")
    assert done.stdout.strip() == ("error (salida 1): 'abc' no es un número de caso (se espera "
                                   "p. ej. CS-000123)")
