"""Issue 15: the sentences a timeline shows for what the desk wrote on a case event are
composed from the event's kind and data in the reader's language; a person's note and an
older row without the pieces keep their stored text, untouched."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casedesk.i18n import set_language
from casedesk.services.directory import presence, queue_setup
from casedesk.services.queries import reads
from casedesk.services.queries.event_text import event_sentence, routing_sentence
from casedesk.services.workflow import cases
from tests.conftest import T0, World

ROUTING = {"rule": 7, "rule_name": "vip", "position": 1, "queue": "commercial",
           "agent": "carmen", "strategy": "least_loaded", "priority": "high",
           "severity": None, "reason": "rule 1 'vip': tier vip (priority medium → high); …",
           "matched": [["tier", "vip"], ["keywords", "baja"], ["contract", True]],
           "from_priority": "medium"}


@pytest.mark.parametrize(("language", "kind", "note", "data", "said"), [
    ("en", "sla_breach", "first response: breached", {"clock": "first_response", "due": None},
     "first response deadline breached"),
    ("es", "sla_breach", "first response: breached", {"clock": "first_response", "due": None},
     "plazo de primera respuesta incumplido"),
    ("es", "sla_breach", "resolution breached (answered late)", {"clock": "resolution"},
     "plazo de resolución incumplido: respondido fuera de plazo"),
    ("es", "sla_warning", "next response: warning", {"clock": "next_response"},
     "plazo de siguiente respuesta a punto de vencer"),
    ("es", "sla_breach", "task “Llamar” breached (done late)", {"clock": "task", "title": "Llamar"},
     "tarea «Llamar» incumplida: hecha fuera de plazo"),
    ("es", "inactive", "inactive: no activity within the policy's limit",
     {"clock": "inactivity"}, "sin actividad dentro del límite de la política"),
    ("es", "escalated", "escalated (first response breached): priority medium → high · flagged",
     {"clock": "first_response", "priority": ["medium", "high"], "flag_supervisor": True},
     "escalado: plazo de primera respuesta incumplido · prioridad media → alta · "
     "señalado al supervisor"),
    ("es", "article", "used KB-000003: Router", {"article": "KB-000003", "title": "Router"},
     "se usó KB-000003: Router"),
    ("es", "article", "drafted KB-000004 from this case",
     {"article": "KB-000004", "title": "Nuevo", "drafted": True},
     "KB-000004 redactado a partir de este caso: Nuevo"),
    ("es", "resolve", "resolved with parent CS-000001", {"type": "solved", "parent": "CS-000001"},
     "resuelto junto con el caso padre CS-000001"),
    ("es", "mail_delivered", None, {"mail": "ack", "to": "a@b.example", "subject": "Hola"},
     "acuse de recibo a a@b.example: Hola"),
    ("es", "autoclose", "closed automatically: …", {"resolved_at": None},
     "cerrado automáticamente: el cliente no respondió dentro del periodo de confirmación"),
    ("es", "link", "parent CS-000002", {"parent": "CS-000002"}, "caso padre CS-000002"),
    ("es", "link", "unlinked", {"parent": None}, "ya no es un caso hijo"),
    ("es", "assign", "queue billing: least loaded: 0 of 10",
     {"routing": {"queue": "billing", "strategy": "least_loaded", "agent": "ana",
                  "reason": "queue billing: least loaded: 0 of 10"}},
     "cola billing: asignado a ana (menos cargado)"),
    # older rows without the pieces, and what people wrote: as stored
    ("es", "link", "unlinked", None, "unlinked"),
    ("es", "article", "used KB-000009: Viejo", {"article": "KB-000009", "link": "used"},
     "used KB-000009: Viejo"),
    ("es", "sla_breach", "first response: breached", None, "first response: breached"),
    ("es", "resolve", "[b]reinicié[/b] el router", {"type": "solved"},
     "[b]reinicié[/b] el router"),
    ("es", "transfer", "the customer asked for billing", None, "the customer asked for billing"),
    ("es", "create", "opened from e-mail <m@x>; rule 1 'vip': …",
     {"routing": ROUTING}, "opened from e-mail <m@x>; rule 1 'vip': …"),
])
def test_event_sentences(language: str, kind: str, note: str | None,
                         data: dict[str, object] | None, said: str) -> None:
    set_language(language)
    assert event_sentence(kind, note, data, T0) == said


def test_routing_and_task_sentences_in_both_languages() -> None:
    assert routing_sentence(ROUTING) == (
        "rule 1 “vip”: tier VIP, keyword “baja”, has a contract line; priority medium → high; "
        "queue commercial: assigned to carmen (least loaded)")
    tasks = {4: ("Llamar", T0)}
    assert event_sentence("task", "task done: Llamar (late)", {"task": 4, "done": True},
                          T0 + timedelta(minutes=1), tasks=tasks) == "task done late: Llamar"
    set_language("es")
    assert routing_sentence(ROUTING) == (
        "regla 1 «vip»: nivel VIP, palabra clave «baja», tiene línea de contrato; "
        "prioridad media → alta; cola commercial: asignado a carmen (menos cargado)")
    assert routing_sentence({"queue": "billing", "position": 2, "rule_name": "f",
                             "matched": []}) == (
        "regla 2 «f»: vale para todos los casos; espera en la cola billing")
    assert event_sentence("task", "task added: Llamar", {"task": 4}, T0, tasks=tasks) == (
        "tarea añadida: Llamar")
    assert event_sentence("task", "task added: Otra", {"task": 5}, T0, tasks=tasks) == (
        "task added: Otra")  # a task the case no longer lists: the note as stored


def test_going_offline_reads_in_spanish_on_the_timeline(world: World) -> None:
    desk = world.desk
    queue_setup.set_strategy(desk, world.sup, "technical", "least_loaded")
    presence.set_presence(desk, world.sup, "away")
    presence.set_presence(desk, world.luis, "away")
    given = cases.create_case(desk, world.sup, title="Sin luz", queue="technical")
    assert given.owner == "ana"
    assert presence.set_presence(desk, world.ana, "offline").returned == [given.label]
    set_language("es")
    texts = [e.text for e in reads.timeline(desk, given.label)]
    assert texts[0].endswith("cola technical: asignado a ana (menos cargado)"), texts
    assert texts[-1] == ("retirado · propietario Ana García → — · "
                         "devuelto a la cola: Ana García se desconectó"), texts
