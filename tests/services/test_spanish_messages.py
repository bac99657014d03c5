"""The services speak the reader's language (issue 15 point 1): refusals, SLA explanations
and read models read Spanish under ``set_language("es")``, on both databases; English
stays as it was. Codes, JSON and stored data never change language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.db import normalise_url
from casedesk.errors import (
    CaseDeskError,
    ConfigError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from casedesk.i18n import set_language
from casedesk.labels import label
from casedesk.models import ACTIVE_STATUSES, Status
from casedesk.services.context import storable
from casedesk.services.contracts import entitlements
from casedesk.services.directory import customers, queue_setup, staff
from casedesk.services.numbers import parse_case_number
from casedesk.services.queries import reads
from casedesk.services.sla import lease
from casedesk.services.sla.explanations import explain
from casedesk.services.workflow import cases, interactions, transitions
from casedesk.services.workflow.transitions import _require_active
from tests.conftest import T0, World
from tests.services.test_sla_lifecycle import at, sla_setup, utc


def _refusal(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(CaseDeskError) as err:
        call(*args, **kwargs)  # type: ignore[operator]
    return str(err.value)


# --- workflow ----------------------------------------------------------------------------


def test_workflow_refusals_read_spanish(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="Router sin conexión", queue="commercial")
    set_language("es")
    assert _refusal(transitions.accept, world.desk, world.ana, c.number) == (
        "ana no es miembro de la cola 'commercial': no puede aceptar sus casos"
    )
    transitions.cancel(world.desk, world.sup, c.number, "duplicado")
    with pytest.raises(InvalidTransition) as err:
        transitions.accept(world.desk, world.carmen, c.number)
    assert str(err.value) == "CS-000001 está en estado «cancelado»: no se puede aceptar"
    mine = cases.create_case(world.desk, world.ana, title="Factura")
    with pytest.raises(ValidationError, match="^una resolución necesita notas"):
        transitions.resolve(world.desk, world.ana, mine.number, "solved", " ")
    with pytest.raises(PermissionDenied) as denied:
        transitions.start(world.desk, world.luis, mine.number)
    assert str(denied.value) == "CS-000002 no está en tu bandeja: acéptalo antes de empezar"
    with pytest.raises(PermissionDenied) as yank:
        transitions.yank(world.desk, world.ana, mine.number)
    assert str(yank.value) == "solo los supervisores pueden retirar casos; ana es agente"
    transitions.resolve(world.desk, world.ana, mine.number, "solved", "reiniciado")
    refused = _refusal(transitions.wait, world.desk, world.ana, mine.number)
    assert refused == ("CS-000002 está en estado «resuelto»: no se puede poner en espera "
                       "(solo desde: nuevo, en curso)")
    with pytest.raises(NotFound) as missing:
        cases.create_case(world.desk, world.ana, title="x", contact_id=999_999)
    assert str(missing.value) == "no existe el contacto 999999"
    with pytest.raises(ValidationError) as nul:
        cases.add_note(world.desk, world.ana, mine.number, "a\x00b")
    assert str(nul.value).startswith("la nota contiene un carácter NUL")


def test_the_same_refusals_stay_english(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    transitions.resolve(world.desk, world.ana, c.number, "solved", "done")
    # the status through its label ("in progress", never "in_progress")
    assert _refusal(transitions.wait, world.desk, world.ana, c.number) == (
        "CS-000001 is resolved: cannot pause it (allowed from new, in progress)"
    )
    assert _refusal(transitions.resolve, world.desk, world.ana, c.number, "solved", "x") == (
        "CS-000001 is resolved: cannot resolve it"
    )


def test_a_conflict_counts_the_changes_missed(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x")
    transitions.start(world.desk, world.ana, c.number)
    transitions.wait(world.desk, world.ana, c.number)
    transitions.resume(world.desk, world.ana, c.number)
    world.desk.clock.advance(timedelta(seconds=3))  # type: ignore[attr-defined]
    set_language("es")
    text = _refusal(transitions.wait, world.desk, world.ana, c.number, version=c.version)
    assert "(2 cambios más antes)" in text and "estado esperando al cliente → en curso" in text
    assert text.endswith("recárgalo y vuelve a intentarlo")


def test_timeline_words_read_spanish_and_codes_stay(world: World) -> None:
    c = cases.create_case(world.desk, world.ana, title="x", queue="technical")
    transitions.accept(world.desk, world.ana, c.number)
    transitions.start(world.desk, world.ana, c.number)
    interactions.log_interaction(world.desk, world.ana, channel="phone", direction="inbound",
                                 subject="Llamada", case=c.number)
    set_language("es")
    entries = reads.timeline(world.desk, c.number)
    assert [e.kind for e in entries][:3] == ["create", "accept", "start"]  # codes stay
    texts = [e.text for e in entries]
    assert texts[1].startswith("aceptado · propietario — → Ana García")
    assert "estado nuevo → en curso" in texts[2]
    assert "teléfono entrante: Llamada" in texts


# --- SLA explanations ----------------------------------------------------------------------


def test_sla_explanation_reads_spanish(world: World, tmp_path: Path) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="Factura", queue="billing")
    transitions.accept(world.desk, world.ana, c.number)
    at(world, T0 + timedelta(minutes=10))
    interactions.log_interaction(world.desk, world.ana, channel="email", direction="outbound",
                                 case=c.number)
    at(world, T0 + timedelta(hours=1))
    transitions.wait(world.desk, world.ana, c.number)
    at(world, T0 + timedelta(hours=1, minutes=30))
    set_language("es")
    paused = explain(world.desk, c.number)
    assert paused.sentence == ("resolución en pausa esperando al cliente, quedan 59 h 00 min de "
                               "tiempo laborable; en pausa 30 min esperando al cliente")
    assert paused.status == "awaiting_customer"  # the code stays for scripts
    set_language("en")
    at(world, T0 + timedelta(hours=2, minutes=5))  # paused 1 h 05 min
    transitions.resume(world.desk, world.ana, c.number)
    at(world, utc(2026, 3, 9, 16, 55))  # Mon 9 March, 17:55 Madrid
    set_language("es")
    result = explain(world.desk, c.number)
    assert result.sentence == ("resolución vence mar 10:05, quedan 2 h 10 min de tiempo "
                               "laborable (aviso); en pausa 1 h 05 min esperando al cliente")
    by_kind = {line.kind: line for line in result.clocks}
    assert by_kind["first_response"].state == "met"
    assert by_kind["first_response"].text == (
        "primera respuesta: cumplido lun 02 mar 09:10 (vencía lun 02 mar 10:00)"
    )


def test_a_breach_reads_spanish(world: World, tmp_path: Path) -> None:
    sla_setup(world, tmp_path)
    c = cases.create_case(world.desk, world.ana, title="x")
    at(world, T0 + timedelta(hours=5, minutes=30))
    set_language("es")
    assert explain(world.desk, c.number).sentence == (
        "primera respuesta incumplida: vencía lun 13:00, hace 1 h 00 min de tiempo laborable"
    )


# --- directory ----------------------------------------------------------------------------


def test_directory_refusals_read_spanish(world: World) -> None:
    set_language("es")
    with pytest.raises(ValidationError) as tier:
        customers.add_account(world.desk, name="Hogar", tier="platinum")
    assert str(tier.value) == ("el nivel 'platinum' no es válido; usa uno de: standard, gold, "
                               "vip")
    with pytest.raises(ValidationError, match="^un contacto necesita un nombre$"):
        customers.add_contact(world.desk, name="  ")
    assert _refusal(queue_setup.add_queue, world.desk, world.ana, name="q", area="general") == (
        "solo los supervisores pueden añadir colas; ana es agente"
    )
    assert _refusal(queue_setup.add_queue, world.desk, world.admin, name="billing",
                    area="billing") == "ya existe una cola llamada 'billing'"
    assert _refusal(staff.add_agent, world.desk, world.sup, login="x", name="X",
                    role="admin") == ("solo un administrador puede nombrar a un "
                                      "administrador; maria es supervisor")
    assert _refusal(staff.add_agent, world.desk, world.admin, login="Bad Login",
                    name="X") == ("usuario 'bad login': usa letras minúsculas, dígitos, "
                                  "'.', '_' o '-'")


def test_entitlement_sentences_count_in_both_languages() -> None:
    from datetime import date

    from casedesk.services.contracts.views import LineStatus

    line = LineStatus(id=1, contract_id=1, contract_number="CT-000001",
                      contract_name="Hogar", name="Incidencias", allotment="cases", total=1,
                      used=0, left=1, over=0, starts=None, ends=date(2026, 4, 1), state="ok",
                      words="")
    assert entitlements.words(line, date(2026, 3, 2)) == (
        "Contract line Incidencias (CT-000001): 1 of 1 case left until 2026-04-01."
    )
    set_language("es")
    assert entitlements.words(line, date(2026, 3, 2)) == (
        "Línea de contrato Incidencias (CT-000001): quedan 1 de 1 caso hasta el 01/04/2026."
    )
    assert entitlements.amount(600, "minutes") == "600 minutos"


# --- without a database ---------------------------------------------------------------------


def test_configuration_and_parsing_errors_read_spanish() -> None:
    set_language("es")
    with pytest.raises(ConfigError) as empty:
        normalise_url("")
    assert str(empty.value) == ("la URL de la base de datos está vacía: usa sqlite:///RUTA o "
                                "postgresql://USUARIO@HOST[:PUERTO]/BD")
    with pytest.raises(ValidationError, match="^'abc' no es un número de caso"):
        parse_case_number("abc")
    with pytest.raises(ValidationError, match="^el título tiene 5 caracteres; como máximo 3$"):
        storable("12345", "the title", 3)
    assert lease.scan_summary({"first_response_breach": 2, "resolution_warning": 1}) == (
        "2 incumplimientos, 1 aviso"
    )
    assert lease.scan_summary({}) == "nada que registrar"


_INACTIVE = [s.value for s in Status if s not in ACTIVE_STATUSES]
_ACTIONS = ["accept", "reject", "transfer", "assign", "start", "wait", "resume", "resolve",
            "close", "reopen", "cancel"]


@given(status=st.sampled_from(_INACTIVE), action=st.sampled_from(_ACTIONS),
       number=st.integers(min_value=1, max_value=999_999), spanish=st.booleans())
def test_a_status_refusal_names_the_status_in_words(
    status: str, action: str, number: int, spanish: bool
) -> None:
    """Whatever the status and the operation, the refusal says the status as the reader's
    word (never its code) and names the case; in Spanish no English word is left."""
    set_language("es" if spanish else "en")
    try:
        case = type("CaseRow", (), {"status": status, "number": number})()
        with pytest.raises(InvalidTransition) as err:
            _require_active(case, action)  # type: ignore[arg-type]
        text = str(err.value)
        assert f"CS-{number:06d}" in text and label("status", status) in text
        assert "_" not in text
        if spanish:
            assert "cannot" not in text and "no se puede" in text
    finally:
        set_language("en")
