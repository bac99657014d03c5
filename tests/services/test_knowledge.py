"""The knowledge base on both databases: articles, search, links, sending, guidance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from casedesk.db import read_session, write_session
from casedesk.errors import (
    ConflictError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    StaleVersion,
    ValidationError,
)
from casedesk.models import ArticleLink, Case, CaseEvent, Interaction
from casedesk.services.directory import customers
from casedesk.services.knowledge import folding, guidance, library, search
from casedesk.services.knowledge.folding import (
    FOLD_LETTERS_FROM,
    FOLD_PUNCTUATION,
    fold,
    parse_query,
    snippet,
    tokens,
)
from casedesk.services.queries import reads
from casedesk.services.queries.views import ArticleView
from casedesk.services.workflow import cases, transitions
from tests.conftest import World

BODY = "Pasos para resolverlo."


def published(world: World, title: str, body: str = BODY, keywords: str = "") -> ArticleView:
    article = library.add_article(
        world.desk, world.ana, title=title, keywords=keywords, body=body
    )
    return library.publish(world.desk, world.sup, article.number)


def labels(world: World, query: str, **kw: object) -> list[str]:
    return [hit.label for hit in library.search(world.desk, query, **kw)]  # type: ignore[arg-type]


def index_is_consistent(world: World) -> bool:
    """SQLite: FTS5's own check against the content table; PostgreSQL: recompute the vector."""
    with read_session(world.desk.engine) as s:
        if world.desk.engine.dialect.name == "sqlite":
            for fts in ("article_fts", "article_title_fts", "case_fts"):
                s.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))
            return True
        stale = s.execute(
            text(
                "SELECT count(*) FROM article WHERE search_vector IS DISTINCT FROM ("
                "setweight(to_tsvector('simple', casedesk_fold(title)), 'A') || "
                "setweight(to_tsvector('simple', casedesk_fold(keywords)), 'B') || "
                "setweight(to_tsvector('simple', casedesk_fold(body)), 'C'))"
            )
        ).scalar_one()
        return stale == 0


# --- articles -----------------------------------------------------------------------------


def test_add_numbers_and_show(world: World) -> None:
    a = library.add_article(
        world.desk,
        world.ana,
        title="  Router  sin conexión ",
        keywords="wifi; Router, wifi",
        body="# Pasos\n\n1. Reinicia el router.",
    )
    assert a.label == "KB-000001" and a.status == "draft" and a.version == 1
    assert a.title == "Router sin conexión" and a.keywords == "wifi, Router"
    assert a.author == "ana" and a.used_count == 0 and a.created_at == world.desk.now()
    b = library.add_article(world.desk, world.luis, title="Segundo")
    assert b.number == 2
    for ref in ("KB-000001", "kb-1", "kb 1", "1", 1):
        assert library.get_article(world.desk, ref).id == a.id
    with pytest.raises(NotFound, match="no article KB-000099"):
        library.get_article(world.desk, "KB-99")
    with pytest.raises(ValidationError, match="not an article number"):
        library.get_article(world.desk, "CS-000001")
    with pytest.raises(ValidationError, match="needs a title"):
        library.add_article(world.desk, world.ana, title="  ")


def test_external_id_is_unique(world: World) -> None:
    library.add_article(world.desk, world.ana, title="Importado", external_id="zendesk-7")
    with pytest.raises(ConflictError, match="zendesk-7"):
        library.add_article(world.desk, world.ana, title="Otra vez", external_id="zendesk-7")


def test_edit_with_version_check(world: World) -> None:
    a = library.add_article(world.desk, world.ana, title="Borrador", body="uno")
    world.desk.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]
    e = library.edit_article(world.desk, world.luis, a.number, version=1, body="dos")
    assert e.body == "dos" and e.version == 2 and e.updated_at > a.updated_at
    with pytest.raises(StaleVersion, match="version 2, you had 1"):
        library.edit_article(world.desk, world.ana, a.number, version=1, title="Perdida")
    assert library.get_article(world.desk, a.number).title == "Borrador"
    same = library.edit_article(world.desk, world.ana, a.number, version=2, body="dos")
    assert same.version == 2  # nothing changed, nothing written


def test_publish_retire_and_permissions(world: World) -> None:
    a = library.add_article(world.desk, world.ana, title="Sin cuerpo")
    with pytest.raises(PermissionDenied, match="only supervisors may publish"):
        library.publish(world.desk, world.ana, a.number)
    with pytest.raises(ValidationError, match="no body"):
        library.publish(world.desk, world.sup, a.number)
    library.edit_article(world.desk, world.luis, a.number, body="Texto")  # any agent: drafts
    p = library.publish(world.desk, world.admin, a.number)
    assert p.status == "published"
    with pytest.raises(InvalidTransition, match="already published"):
        library.publish(world.desk, world.sup, a.number)
    with pytest.raises(PermissionDenied, match="only supervisors may edit"):
        library.edit_article(world.desk, world.ana, a.number, body="cambio")
    assert library.edit_article(world.desk, world.sup, a.number, body="cambio").body == "cambio"
    with pytest.raises(PermissionDenied, match="only supervisors may retire"):
        library.retire(world.desk, world.ana, a.number)
    r = library.retire(world.desk, world.sup, a.number)
    assert r.status == "retired"
    with pytest.raises(StaleVersion):
        library.publish(world.desk, world.sup, a.number, version=r.version - 1)
    assert library.publish(world.desk, world.sup, a.number).status == "published"


def test_delete_permissions_and_links(world: World) -> None:
    mine = library.add_article(world.desk, world.ana, title="Mío", body="x")
    with pytest.raises(PermissionDenied, match="own drafts"):
        library.delete_article(world.desk, world.luis, mine.number)
    assert library.delete_article(world.desk, world.ana, mine.number) == "KB-000001"
    pub = published(world, "Publicado")
    c = cases.create_case(world.desk, world.ana, title="Caso")
    library.link_case(world.desk, world.ana, pub.number, c.number)
    with pytest.raises(PermissionDenied):
        library.delete_article(world.desk, world.ana, pub.number)
    library.delete_article(world.desk, world.sup, pub.number)
    with read_session(world.desk.engine) as s:
        assert s.execute(select(func.count()).select_from(ArticleLink)).scalar_one() == 0
    with pytest.raises(NotFound):
        library.get_article(world.desk, pub.number)


# --- search -------------------------------------------------------------------------------


def test_title_match_outranks_keyword_and_body_matches(world: World) -> None:
    body = published(world, "Guía de instalación", "El módem y el módem y otra vez el módem.")
    keyword = published(world, "Luces del equipo", keywords="módem")
    title = published(world, "Reiniciar el módem")
    assert labels(world, "modem") == [title.label, keyword.label, body.label]
    assert labels(world, "módem", limit=2) == [title.label, keyword.label]


def test_accents_and_case_are_ignored_both_ways(world: World) -> None:
    a = published(world, "Facturación electrónica", "Cómo descargar la FACTURA en PDF.")
    b = published(world, "Facturacion sin acentos", "texto")
    assert set(labels(world, "facturacion")) == {a.label, b.label}
    assert set(labels(world, "FACTURACIÓN")) == {a.label, b.label}
    assert labels(world, "como descargar pdf") == [a.label]
    hit = library.search(world.desk, "facturacion electronica")[0]
    assert hit.label == a.label and hit.title == "Facturación electrónica"


def test_prefix_matching_for_search_as_you_type(world: World) -> None:
    factura = published(world, "Factura duplicada", "Se cobró dos veces.")
    fibra = published(world, "Fibra lenta", "Comprueba la velocidad del router.")
    assert labels(world, "fac") == [factura.label]
    assert labels(world, "f") == []  # one letter is a word, not a prefix
    assert set(labels(world, "fa")) == {factura.label}
    assert labels(world, "fibra rout") == [fibra.label]
    assert labels(world, "rout ") == []  # a trailing space ends the word
    assert labels(world, "router ") == [fibra.label]


def test_stop_words_are_ignored_unless_alone(world: World) -> None:
    a = published(world, "Router sin conexión", "La luz de internet está apagada.")
    assert labels(world, "el router de la casa") == []  # casa is not in it
    assert labels(world, "el router de la") == [a.label]
    assert labels(world, "the router") == [a.label]
    assert labels(world, "de la") == [a.label]  # only stop words: they are the query
    q = parse_query("¿Cómo cambio la contraseña del WiFi?")
    assert q.terms == ("cambio", "contrasena", "wifi") and not q.prefix


def test_number_lookup(world: World) -> None:
    first = published(world, "Uno", "Código 2 en pantalla.")
    second = published(world, "Dos")
    draft = library.add_article(world.desk, world.ana, title="Tres")
    for query in ("KB-000002", "kb-2", "KB 2", "kb2"):
        assert labels(world, query) == [second.label]
    assert labels(world, "2") == [second.label, first.label]  # the number, then the text
    assert labels(world, "KB-000003") == []  # drafts are not shown by default
    assert labels(world, "KB-000003", statuses=None) == [draft.label]
    assert labels(world, "kb-42") == []


def test_drafts_and_retired_are_hidden_by_default(world: World) -> None:
    p = published(world, "Contraseña olvidada")
    d = library.add_article(world.desk, world.ana, title="Contraseña caducada")
    r = published(world, "Contraseña antigua")
    library.retire(world.desk, world.sup, r.number)
    assert labels(world, "contraseña") == [p.label]
    assert set(labels(world, "contraseña", statuses=None)) == {p.label, d.label, r.label}
    assert labels(world, "contraseña", statuses=["draft"]) == [d.label]


def test_snippet_marks_matches_in_the_original_text(world: World) -> None:
    body = (
        "Introducción larga sobre la cuenta del cliente y sus datos de contacto. " * 4
        + "Para la facturación electrónica, active la [opción](https://x.es/pdf) en su área."
    )
    published(world, "Área de cliente", body)
    hit = library.search(world.desk, "facturacion")[0]
    assert hit.snippet.startswith("…")
    assert "la [b]facturación[/b] electrónica, active la [opción](https://x.es/pdf)" in hit.snippet
    bits = hit.snippet.split(folding.MARK_START)
    assert [b.split(folding.MARK_END)[0] for b in bits[1:]] == ["facturación"]
    plain = snippet("sin coincidencias aquí", ["factura"])
    assert plain == "sin coincidencias aquí"


def test_index_follows_edits_and_deletes(world: World) -> None:
    a = published(world, "Zanahoria en el router", "Texto con pepino.")
    assert labels(world, "zanahoria") == [a.label] and labels(world, "pepino") == [a.label]
    library.edit_article(world.desk, world.sup, a.number, title="Router", body="Con tomate.")
    assert labels(world, "zanahoria") == [] and labels(world, "pepino") == []
    assert labels(world, "tomate") == [a.label]
    library.edit_article(world.desk, world.sup, a.number, keywords="lechuga")
    assert labels(world, "lechuga") == [a.label]
    assert index_is_consistent(world)
    library.delete_article(world.desk, world.sup, a.number)
    assert labels(world, "tomate") == [] and labels(world, "router") == []
    assert index_is_consistent(world)


def test_old_title_match_survives_the_candidate_bound(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tier 1 (title/keywords) is bounded separately from tier 2 (any match)."""
    old = published(world, "Portabilidad rechazada")
    newer = [published(world, f"Caso {i}", f"La portabilidad número {i}.") for i in range(6)]
    monkeypatch.setattr(search, "CANDIDATES", 3)
    got = labels(world, "portabilidad")
    assert got[0] == old.label
    assert got[1:] == [a.label for a in reversed(newer)][:3]  # the 3 newest body matches


def test_fold_is_the_same_in_python_and_in_the_database(world: World) -> None:
    sample = FOLD_LETTERS_FROM + " " + FOLD_PUNCTUATION + " ÑANDÚ ¿Qué? «Sí» wi-fi Łódź øıđ"
    library.add_article(world.desk, world.ana, title="x", body=sample)
    with read_session(world.desk.engine) as s:
        if world.desk.engine.dialect.name == "postgresql":
            folded = s.execute(text("SELECT casedesk_fold(:t)"), {"t": sample}).scalar()
            assert folded == fold(sample)
        else:  # FTS5's tokenizer folds by itself: its terms must be our tokens
            s.execute(
                text("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, article_fts, row)")
            )
            sql = "SELECT term FROM temp.terms WHERE term <> 'x'"
            assert set(s.execute(text(sql)).scalars()) == set(tokens(sample))


# --- links, sending, solutions ------------------------------------------------------------


def test_link_case_is_idempotent_and_recorded(world: World) -> None:
    a = published(world, "Router")
    c = cases.create_case(world.desk, world.ana, title="Sin internet")
    library.link_case(world.desk, world.ana, a.label, c.label)
    again = library.link_case(world.desk, world.luis, a.label, c.label)
    assert again.used_count == 1 and [(k.kind, k.case) for k in again.links] == [("used", c.label)]
    timeline = reads.timeline(world.desk, c.number)
    assert any(e.kind == "article" and "used KB-000001" in e.text for e in timeline)
    library.retire(world.desk, world.sup, a.number)
    other = cases.create_case(world.desk, world.ana, title="Otro")
    with pytest.raises(InvalidTransition, match="retired"):
        library.link_case(world.desk, world.ana, a.number, other.number)


def test_send_to_customer_logs_email_links_and_counts(world: World) -> None:
    a = published(world, "Reiniciar el router", "1. Apague el router.\n2. Espere 30 s.")
    c = cases.create_case(
        world.desk, world.sup, title="Sin conexión", queue="technical", contact_id=world.contact_id
    )
    assert c.first_response_at is None
    world.desk.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    sent = library.send_to_customer(world.desk, world.ana, a.number, c.number, note="Hola Juan:")
    assert (sent.channel, sent.direction, sent.case) == ("email", "outbound", c.label)
    assert sent.subject == "KB-000001: Reiniciar el router" and sent.contact == "Juan Pérez"
    assert sent.notes.startswith("Hola Juan:\n\n1. Apague el router.")
    after = reads.get_case(world.desk, c.number)
    assert after.first_response_at == world.desk.now()  # the SLA response was met
    article = library.get_article(world.desk, a.number)
    assert article.used_count == 1
    assert [(k.kind, k.contact, k.agent) for k in article.links] == [("sent", "Juan Pérez", "ana")]
    kinds = [e.kind for e in reads.timeline(world.desk, c.number)]
    assert "interaction" in kinds


def test_send_refuses_drafts_and_contactless_cases_atomically(world: World) -> None:
    draft = library.add_article(world.desk, world.ana, title="Borrador", body="x")
    a = published(world, "Publicado")
    c = cases.create_case(world.desk, world.ana, title="Sin cliente")
    with pytest.raises(InvalidTransition, match="only published"):
        library.send_to_customer(world.desk, world.ana, draft.number, c.number)
    with pytest.raises(ValidationError, match="no customer contact"):
        library.send_to_customer(world.desk, world.ana, a.number, c.number)
    nomail = customers.add_contact(world.desk, name="Sin Correo", phone="+34 600 000 000")
    with pytest.raises(ValidationError, match="no e-mail"):
        library.send_to_customer(world.desk, world.ana, a.number, c.number, contact_id=nomail)
    with read_session(world.desk.engine) as s:
        assert s.execute(select(func.count()).select_from(Interaction)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(ArticleLink)).scalar_one() == 0
    assert library.get_article(world.desk, a.number).used_count == 0


def _solved(world: World, title: str, description: str, notes: str) -> Case:
    c = cases.create_case(world.desk, world.ana, title=title, description=description)
    transitions.start(world.desk, world.ana, c.number)
    transitions.resolve(world.desk, world.ana, c.number, "solved", notes)
    with read_session(world.desk.engine) as s:
        return s.execute(select(Case).where(Case.id == c.id)).scalar_one()


def test_draft_from_resolved_case(world: World) -> None:
    open_case = cases.create_case(world.desk, world.ana, title="Abierto")
    with pytest.raises(InvalidTransition, match="resolve it"):
        library.draft_from_case(world.desk, world.ana, open_case.number)
    c = _solved(world, "Wifi se desconecta", "Cada hora se cae el wifi.", "Cambiar el canal a 6.")
    a = library.draft_from_case(world.desk, world.luis, c.number)
    assert a.status == "draft" and a.title == "Wifi se desconecta" and a.author == "luis"
    assert a.source_case == "CS-000002" and a.used_count == 1
    assert "## Problem\n\nCada hora se cae el wifi." in a.body
    assert "## Solution\n\nCambiar el canal a 6." in a.body
    assert [(k.kind, k.case) for k in a.links] == [("used", "CS-000002")]
    with pytest.raises(ConflictError, match="already has an article: KB-000001"):
        library.draft_from_case(world.desk, world.luis, c.number)
    with read_session(world.desk.engine) as s:
        note = s.execute(
            select(CaseEvent.note).where(CaseEvent.case_id == c.id, CaseEvent.kind == "article")
        ).scalar_one()
    assert note == "drafted KB-000001 from this case"


def test_guidance_suggests_the_article_that_solved_a_similar_case(world: World) -> None:
    fix = published(world, "Cómo restablecer la ONT", "Pulse el botón reset de la ONT 10 s.")
    published(world, "Cambiar la tarifa", "Desde el área de cliente.")
    by_text = published(world, "Luz LOS roja en la fibra", "Avería de fibra: la luz LOS roja.")
    solved = _solved(
        world,
        "Sin conexión tras corte de luz",
        "El router no sincroniza después del apagón.",
        "Reset de la ONT y volvió la conexión.",
    )
    library.link_case(world.desk, world.ana, fix.number, solved.number)
    _solved(world, "Cambio de titular", "Quiere poner la línea a nombre de su hija.", "Hecho.")
    new = cases.create_case(
        world.desk,
        world.ana,
        title="Sin conexión desde el corte de luz",
        description="El router no sincroniza y la luz LOS está roja.",
    )
    guide = guidance.guidance(world.desk, new.number, limit=3)
    assert guide.case == new.label and "sincroniza" in guide.terms
    assert [c.label for c in guide.cases][:1] == [case_label_of(solved)]
    assert guide.cases[0].articles == [fix.label]
    assert guide.cases[0].resolution_notes == "Reset de la ONT y volvió la conexión."
    suggested = {a.label: a for a in guide.articles}
    assert fix.label in suggested and by_text.label in suggested
    assert f"used on {case_label_of(solved)}" in suggested[fix.label].reasons
    assert "matches the case's words" in suggested[by_text.label].reasons
    assert "Cambiar la tarifa" not in [a.title for a in guide.articles]
    assert new.label not in [c.label for c in guide.cases]


def case_label_of(case: Case) -> str:
    return f"CS-{case.number:06d}"


def test_only_solved_cases_guide_and_the_index_follows_them(world: World) -> None:
    old = cases.create_case(world.desk, world.ana, title="Contestador no graba mensajes")
    new = cases.create_case(world.desk, world.ana, title="El contestador no graba")

    def similar() -> list[str]:
        return [c.label for c in guidance.guidance(world.desk, new.number).cases]

    assert similar() == []  # open cases are not suggested (nor indexed)
    transitions.start(world.desk, world.ana, old.number)
    transitions.resolve(world.desk, world.ana, old.number, "solved", "Activar el buzón.")
    assert similar() == [old.label]
    transitions.close(world.desk, world.ana, old.number)
    assert similar() == [old.label]
    assert index_is_consistent(world)
    transitions.reopen(world.desk, world.sup, old.number)
    assert similar() == []
    version = reads.get_case(world.desk, old.number).version
    cases.update_case(world.desk, world.sup, old.number, version=version, title="Sin buzón de voz")
    transitions.resolve(world.desk, world.sup, old.number, "solved", "Activar el buzón.")
    assert similar() == []  # its words changed: no longer like the new case
    assert index_is_consistent(world)


def test_guidance_for_a_case_with_no_words(world: World) -> None:
    published(world, "Algo")
    c = cases.create_case(world.desk, world.ana, title="de la")
    guide = guidance.guidance(world.desk, c.number)
    assert guide.articles == [] and guide.cases == [] and guide.terms == []


# --- maintenance --------------------------------------------------------------------------


def test_reindex_rebuilds_and_needs_a_supervisor(world: World) -> None:
    a = published(world, "Buzón de voz", "Desactivar con ##002#.")
    with pytest.raises(PermissionDenied):
        library.reindex(world.desk, world.ana)
    if world.desk.engine.dialect.name == "sqlite":  # simulate drift: empty the FTS tables
        with write_session(world.desk.engine) as s:
            for fts in ("article_fts", "article_title_fts"):
                s.execute(text(f"INSERT INTO {fts}({fts}) VALUES ('delete-all')"))
        assert labels(world, "buzon") == []
    report = library.reindex(world.desk, world.sup)
    assert report.backend == world.desk.engine.dialect.name
    assert (report.articles, report.cases) == (1, 0)
    assert labels(world, "buzon") == [a.label]
    assert index_is_consistent(world)
