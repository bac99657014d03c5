"""Imports speak the reader's language: a refused row, the summary, the guesser's notes and
a refused file read Spanish under ``set_language("es")``; the columns an import reads, the
codes it stores and the JSON summary stay the same in every language."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.errors import ConfigError, ValidationError
from casedesk.i18n import set_language
from casedesk.services.imports import parallel as par
from casedesk.services.imports import values as v
from casedesk.services.imports.guess import guess_profile
from casedesk.services.imports.kinds.base import Pending
from casedesk.services.imports.kinds.registry import KINDS
from casedesk.services.imports.mapping import Overrides, build_mapping
from casedesk.services.imports.rows import row_parser
from casedesk.services.imports.run import check_options, run_import
from casedesk.services.imports.stream import parsers_for
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from tests.conftest import World

CONTACTS = ("id;name;email;account\r\n"
            "1;Good;good@example.com;\r\n"
            "2;Bad mail;juan@;\r\n"
            "3;Nadie;x@example.com;Nadie SL\r\n"
            "4;Too;many;fields;here\r\n"
            "5;;nobody@example.com;\r\n")


def _import(world: World, path: Path, kind: str = "contacts", **options: Any) -> ImportSummary:
    return run_import(world.desk, world.sup, kind, [path], ImportOptions(**options))


def test_a_refused_row_reads_spanish_under_es_and_english_otherwise(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "contacts.csv"
    path.write_bytes(CONTACTS.encode("cp1252"))
    english = _import(world, path, dry_run=True)
    assert english.errors == [
        'contacts.csv:3: email: "juan@" is not an e-mail address',
        'contacts.csv:4: account: no account with id or name "Nadie SL"',
        "contacts.csv:5: has 5 fields, the header has 4",
        "contacts.csv:6: name: missing",
    ]
    set_language("es")
    spanish = _import(world, path)
    assert spanish.errors == [
        'contacts.csv:3: email: "juan@" no es una dirección de correo electrónico',
        'contacts.csv:4: account: no hay ninguna cuenta con id o nombre "Nadie SL"',
        "contacts.csv:5: tiene 5 campos, la cabecera tiene 4",
        "contacts.csv:6: name: falta",
    ]
    # the rejects file: the file's own columns and a reason a person reads
    # (an ASCII file reads as UTF-8, and its rejects are written so)
    with Path(spanish.rejects[0]).open(encoding="utf-8", newline="") as f:
        rejected = list(csv.reader(f, delimiter=";"))
    assert rejected[0] == ["id", "name", "email", "account", "_reason"]
    assert rejected[1][-1] == 'email: "juan@" no es una dirección de correo electrónico'
    # the summary for scripts keeps its keys
    assert spanish.to_json().keys() == english.to_json().keys()
    assert (spanish.created, spanish.rejected) == (1, 4)


def test_an_unknown_code_names_the_field_and_its_codes_in_the_readers_language(
    world: World, tmp_path: Path
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("id,title,status,priority\nT1,Sin luz,zz,alta\n", encoding="utf-8")
    set_language("es")
    with pytest.raises(ValidationError) as refused:
        _import(world, path, "cases", on_error="abort", queue="technical")
    assert str(refused.value) == (
        "1 de 1 fila rechazada, no se ha importado nada (--on-error abort): cases.csv:2: "
        'status: "zz" no es un valor válido de estado (awaiting_customer, cancelled, closed, '
        "in_progress, new, resolved); todos los motivos están en "
        f"{tmp_path / 'cases.rejects.csv'}")


def test_the_planning_process_writes_its_reasons_in_the_importing_language(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[str] = []
    real = par._start_planner

    def counting(request: par.PlanRequest) -> Any:
        started.append(request.language)
        return real(request)

    monkeypatch.setattr(par, "_start_planner", counting)
    path = tmp_path / "calls.csv"
    lines = ["ID Llamada,Fecha,Canal,Cliente,Duración"] + [
        f"P{i:04d},{'ayer' if i == 7 else '2026-02-01 10:00'},teléfono,juan.perez@example.com,30"
        for i in range(300)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    set_language("es")
    summary = _import(world, path, "interactions", parallel=True, batch_size=50)
    assert started == ["es"]
    assert summary.rejected == 1
    assert summary.errors == ['calls.csv:9: started_at: "ayer" no es una fecha (usa ISO '
                              "2026-03-01 o dd/mm/aaaa)"]


def test_refused_options_and_files_read_spanish(tmp_path: Path) -> None:
    set_language("es")
    with pytest.raises(ConfigError, match="tipo desconocido 'tickets': elige uno de"):
        check_options("tickets", ImportOptions())
    with pytest.raises(ConfigError, match="--on-error 'later': usa skip o abort"):
        check_options("cases", ImportOptions(on_error="later"))
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="no se puede leer|está vacío"):
        guess_profile("cases", empty)


def test_the_guessers_notes_read_spanish_and_the_profile_keeps_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text("Ticket ID,Asunto,Prioridad,Fecha\nT1,Sin luz,Crítica,25/03/2026\n"
                    "T2,Factura,Rara,26/03/2026\n", encoding="utf-8")
    english = guess_profile("cases", path).to_toml()
    set_language("es")
    spanish = guess_profile("cases", path).to_toml()
    assert "# Check every line." in english and '"Rara" = "?"  # 1 row, no match' in english
    assert "# Revisa cada línea." in spanish
    assert '"Rara" = "?"  # 1 fila, sin coincidencia: rellénalo' in spanish
    assert 'date_order = "dayfirst"  # 2 fechas de la muestra tienen primero un día mayor' \
        in spanish
    # keys, fields and values are the same in both
    keys = [line.split("#")[0] for line in english.splitlines() if not line.startswith("#")]
    assert keys == [line.split("#")[0] for line in spanish.splitlines()
                    if not line.startswith("#")]


def test_a_value_parser_names_its_field_in_the_readers_language() -> None:
    priority = v.choice(v.PRIORITY, "priority")
    with pytest.raises(ValueError, match=r'^"zz" is not a priority \(high, low, medium\)$'):
        priority("zz")
    assert priority("Alta") == "high"
    set_language("es")
    with pytest.raises(ValueError,
                       match=r'^"zz" no es un valor válido de prioridad \(high, low, medium\)$'):
        priority("zz")
    with pytest.raises(ValueError, match="no es una fecha verosímil"):
        v.datetime_parser(ZoneInfo("Europe/Madrid"))("1850-01-01")


@given(st.lists(st.text(alphabet="abcxyz19 ,-", max_size=8), min_size=1, max_size=5),
       st.sampled_from(["en", "es"]))
def test_the_compiled_and_the_generic_row_parser_refuse_alike(cells: list[str],
                                                             lang: str) -> None:
    """CSV rows go through generated code, JSON/XLSX through a loop: the same cells get
    the same reason, in either language."""
    spec = KINDS["contacts"]()
    headers = ["name", "email", "phone", "opt_in"]
    parsers = parsers_for(spec, ZoneInfo("Europe/Madrid"), True)
    mapping = build_mapping(spec.specs, headers, Overrides(), parsers, source="f.csv",
                            strict=True, has_extras=spec.has_extras)
    try:
        set_language(lang)
        compiled = row_parser(spec, mapping, len(headers))
        generic = row_parser(spec, mapping, None)
        a, b = Pending(2, 2, list(cells)), Pending(2, 2, list(cells))
        compiled(a)
        generic(b)
    finally:
        set_language("en")
    if len(cells) == len(headers):
        assert a.reason == b.reason
    else:
        assert a.reason is not None and ("fields" in a.reason) == (lang == "en")
