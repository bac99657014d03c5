"""Knowledge search benchmark: 100,000 articles on SQLite and PostgreSQL.

Run from the repository root: ``python -m bench.kb`` (``--articles``, ``--cases``,
``--db sqlite|postgresql|both``). It generates a Spanish/English knowledge base with a
Zipf word distribution, bulk-inserts it (the migration's triggers / generated columns index
it), then times, in the same run, the raw FTS5 / tsvector query (plain bm25 / ts_rank over
every match) and casedesk's ``library.search`` for two-word queries (very common words
included) and three-letter prefixes, and ``guidance.guidance`` as a case opens.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Connection, Engine, func, select, text  # noqa: E402

from casedesk.bulk import bulk_insert  # noqa: E402
from casedesk.clock import FrozenClock  # noqa: E402
from casedesk.db import make_engine, upgrade, write_session  # noqa: E402
from casedesk.models import Article, ArticleLink, Case  # noqa: E402
from casedesk.services.context import Desk  # noqa: E402
from casedesk.services.directory import staff  # noqa: E402
from casedesk.services.knowledge import guidance, library  # noqa: E402
from casedesk.services.knowledge.folding import STOP_WORDS, fold, parse_query  # noqa: E402
from casedesk.services.knowledge.search import fts_expression, ts_expression  # noqa: E402

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

# --- the corpus ---------------------------------------------------------------------

ZIPF_S = 1.05


def _words(text: str) -> list[str]:
    return text.split()


ES_STOP = _words(
    "de la que el en y a los se del las un por con no una su para es al lo como más o pero "
    "sus le ha me si sin sobre este ya entre cuando todo esta ser son dos también fue había era "
    "muy años hasta desde está mi porque qué sólo han yo hay vez puede todos así nos ni parte "
    "tiene él uno donde bien tiempo mismo ese ahora cada e vida otro después te otros aunque"
)
EN_STOP = _words(
    "the of and to a in is you that it he was for on are as with his they i at be this have "
    "from or one had by but not what all were we when your can said there use an each which "
    "she do how their if will up other about out many then them these so some her would"
)
#: Content words ranked among the stop words: in most articles ("very common words").
ES_COMMON = _words("cliente servicio factura línea")
EN_COMMON = _words("customer service account issue")
ES_DOMAIN = _words(
    "router conexión contraseña facturación pago recibo tarifa cobertura fibra instalación "
    "avería portabilidad móvil teléfono internet wifi velocidad señal técnico visita cita "
    "reclamación devolución descuento promoción contrato permanencia baja alta cambio titular "
    "domiciliación banco tarjeta importe cargo consumo datos roaming llamadas mensajes sim "
    "terminal reparación garantía envío pedido entrega dirección correo usuario acceso clave "
    "bloqueo desbloqueo configuración reinicio actualización aplicación cuenta perfil error "
    "incidencia corte caída lentitud cobro duplicado impago deuda aviso notificación plazo "
    "solicitud trámite documento identidad verificación seguridad fraude robo pérdida "
    "televisión canales decodificador mando paquete fútbol series películas suscripción "
    "precio oferta mejora ampliación equipo antena centralita extensión empresa "
    "autónomo particular hogar oficina tienda distribuidor comercial atención encuesta"
)
EN_DOMAIN = _words(
    "router connection password billing payment receipt plan coverage fiber installation "
    "outage porting mobile phone internet wifi speed signal technician visit appointment "
    "complaint refund discount promotion contract commitment cancel upgrade change holder "
    "direct debit bank card amount charge usage data roaming calls messages sim handset "
    "repair warranty shipping order delivery address email user login key lock unlock "
    "settings restart update app profile error incident cut drop slowness duplicate unpaid "
    "debt notice notification deadline request procedure document identity verification "
    "security fraud theft loss television channels decoder remote bundle football series "
    "movies subscription price offer improvement extension equipment antenna switchboard "
    "business freelancer residential home office store reseller sales support survey"
)
_ONSETS = _words("b c d f g l m n p r s t v br cr tr pl gr ch ll qu")
_NUCLEI = _words("a e i o u a e o ia ie ue io á é í ó ú")
_CODAS = ["", "", "", "n", "s", "r", "l"]


@dataclass
class Language:
    """A ranked vocabulary with Zipf cumulative weights (all words, and content words)."""

    words: list[str]
    cum: list[float]
    content: list[str]
    content_cum: list[float]

    @classmethod
    def build(cls, stop: list[str], common: list[str], domain: list[str], tail: list[str]) -> Any:
        words = stop[:4] + common + stop[4:] + domain + tail
        content = [w for w in words if w not in stop]
        return cls(words, _zipf(len(words)), content, _zipf(len(content)))

    def sample(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.words, cum_weights=self.cum, k=k)

    def sample_content(self, rng: random.Random, k: int) -> list[str]:
        return rng.choices(self.content, cum_weights=self.content_cum, k=k)


def _zipf(n: int) -> list[float]:
    return list(itertools.accumulate(1 / rank**ZIPF_S for rank in range(1, n + 1)))


def _tail(rng: random.Random, n: int, taken: set[str]) -> list[str]:
    words: list[str] = []
    while len(words) < n:
        word = "".join(
            rng.choice(_ONSETS) + rng.choice(_NUCLEI) + rng.choice(_CODAS)
            for _ in range(rng.choice((2, 2, 3, 3, 3, 4)))
        )
        if word not in taken:
            taken.add(word)
            words.append(word)
    return words


def languages(seed: int = 42) -> tuple[Language, Language]:
    """Spanish (30,000-word tail) and English (15,000-word tail) vocabularies."""
    rng = random.Random(seed)
    taken = set(ES_STOP + EN_STOP + ES_COMMON + EN_COMMON + ES_DOMAIN + EN_DOMAIN)
    es = Language.build(ES_STOP, ES_COMMON, ES_DOMAIN, _tail(rng, 30_000, taken))
    en = Language.build(EN_STOP, EN_COMMON, EN_DOMAIN, _tail(rng, 15_000, taken))
    return es, en


def _sentence(words: list[str]) -> str:
    line = " ".join(words)
    return line[:1].upper() + line[1:] + "."


def make_article(rng: random.Random, lang: Language) -> dict[str, str]:
    """Title, keywords and a Markdown body of 60–220 words."""
    title = " ".join(lang.sample_content(rng, rng.randint(3, 7))).capitalize()
    keywords = ", ".join(dict.fromkeys(lang.sample_content(rng, rng.randint(2, 5))))
    n = rng.randint(60, 220)
    words = lang.sample(rng, n)
    parts: list[str] = []
    i = 0
    while i < n:
        size = rng.randint(6, 18)
        chunk, i = words[i : i + size], i + size
        roll = rng.random()
        if roll < 0.08:
            parts.append("\n## " + " ".join(chunk[:4]).capitalize() + "\n")
        elif roll < 0.2:
            parts.append("- " + _sentence(chunk))
        else:
            parts.append(_sentence(chunk))
    return {"title": title, "keywords": keywords, "body": "\n".join(parts)}


def make_articles(n: int, seed: int = 7) -> Iterator[dict[str, str]]:
    """``n`` articles, 60 % Spanish and 40 % English."""
    es, en = languages()
    rng = random.Random(seed)
    for _ in range(n):
        yield make_article(rng, es if rng.random() < 0.6 else en)


def make_case(rng: random.Random, lang: Language, status: str) -> dict[str, Any]:
    """A case's title, description and (when solved) resolution notes."""
    row: dict[str, Any] = {
        "title": " ".join(lang.sample_content(rng, rng.randint(3, 7))).capitalize(),
        "description": _sentence(lang.sample(rng, rng.randint(12, 40))),
        "status": status,
    }
    if status != "new":
        row["resolution_type"] = "solved"
        row["resolution_notes"] = _sentence(lang.sample(rng, rng.randint(8, 25)))
    return row


# --- loading ------------------------------------------------------------------------------


def load(desk: Desk, articles: list[dict[str, str]], cases: list[dict[str, Any]]) -> dict:
    """Bulk-insert articles, cases and "used" links; return timings in seconds."""
    rng = random.Random(3)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with write_session(desk.engine) as session:
        numbers = claim_numbers(session, "article", len(articles))
    for start in range(0, len(articles), 10_000):
        rows = [
            {
                **a,
                "number": numbers[start + k],
                "status": "published" if rng.random() < 0.9 else "draft",
                "created_at": NOW,
                "updated_at": NOW,
                "used_count": 0,
                "version": 1,
            }
            for k, a in enumerate(articles[start : start + 10_000])
        ]
        with write_session(desk.engine) as session:
            bulk_insert(session.connection(), Article.__table__, rows)
    timings["articles"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with write_session(desk.engine) as session:
        case_numbers = claim_numbers(session, "case", len(cases))
    for start in range(0, len(cases), 10_000):
        rows = []
        for k, c in enumerate(cases[start : start + 10_000]):
            created = NOW - timedelta(minutes=rng.randrange(500_000))
            rows.append(
                {
                    "resolution_type": None,
                    "resolution_notes": None,
                    **c,
                    "number": case_numbers[start + k],
                    "area": "technical",
                    "priority": "medium",
                    "severity": "minor",
                    "created_at": created,
                    "updated_at": created,
                    "due_at": created + timedelta(days=30),
                    "paused_seconds": 0,
                    "sla_flags": 0,
                    "version": 1,
                }
            )
        with write_session(desk.engine) as session:
            bulk_insert(session.connection(), Case.__table__, rows)
    with write_session(desk.engine) as session:
        solved = session.execute(select(Case.id).where(Case.status != "new")).scalars().all()
        top = session.execute(select(func.max(Article.id))).scalar_one()
        links = [
            {"article_id": rng.randint(1, top), "case_id": case_id, "kind": "used", "at": NOW}
            for case_id in solved
            if rng.random() < 0.3
        ]
        bulk_insert(session.connection(), ArticleLink.__table__, links)
    timings["cases"] = time.perf_counter() - t0
    return timings


def claim_numbers(session: Any, name: str, count: int) -> range:
    last = session.execute(
        text("UPDATE counter SET value = value + :n WHERE name = :name RETURNING value"),
        {"n": count, "name": name},
    ).scalar_one()
    return range(last - count + 1, last + 1)


# --- queries ----------------------------------------------------------------------------


@dataclass
class Workload:
    two_words: dict[str, list[str]]
    prefixes: list[str]


def workload(articles: list[dict[str, str]], n: int, seed: int = 11) -> Workload:
    """Two-word queries (very common words, common + rarer, words of a title) and prefixes."""
    rng = random.Random(seed)
    es, en = languages()
    common = ES_COMMON + EN_COMMON
    stops = ["de la", "el de", "the of", "and the", "que en"]
    very_common = [
        rng.choice(stops)
        if i % 4 == 0
        else " ".join(rng.sample(common[:4] if i % 2 else common[4:], 2))
        for i in range(n)
    ]
    mixed = [
        f"{rng.choice(common)} {rng.choice((es if rng.random() < 0.6 else en).content[8:400])}"
        for _ in range(n)
    ]
    titled = []
    while len(titled) < n:
        words = [w for w in fold(rng.choice(articles)["title"]).split() if w not in STOP_WORDS]
        if len(set(words)) >= 2:
            titled.append(" ".join(rng.sample(sorted(set(words)), 2)))
    prefixes = []
    while len(prefixes) < n:
        lang = es if rng.random() < 0.6 else en
        word = fold(lang.sample_content(rng, 1)[0])
        if len(word) >= 4:
            prefixes.append(word[:3])
    return Workload(
        {"very common words": very_common, "common + rarer": mixed, "words of a title": titled},
        prefixes,
    )


def raw_query(conn: Connection) -> Callable[[str], int]:
    """The plain ranked query: bm25 / ts_rank over every match, top 20 (no bounds, no tiers)."""
    if conn.dialect.name == "sqlite":
        sql = text(
            "SELECT rowid FROM article_fts WHERE article_fts MATCH :q "
            "ORDER BY bm25(article_fts, 10.0, 5.0, 1.0) LIMIT 20"
        )
    else:
        sql = text(
            "SELECT id FROM article WHERE search_vector @@ to_tsquery('simple', :q) ORDER BY "
            "ts_rank('{0.1, 0.1, 0.5, 1.0}', search_vector, to_tsquery('simple', :q), 1) DESC "
            "LIMIT 20"
        )
    expression = fts_expression if conn.dialect.name == "sqlite" else ts_expression

    def run(query: str) -> int:
        parsed = parse_query(query)
        return len(conn.execute(sql, {"q": expression(parsed.terms, parsed.prefix)}).all())

    return run


def timed(fn: Callable[[str], Any], queries: list[str]) -> list[float]:
    for q in queries[:5]:
        fn(q)  # warm up
    out = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def line(label: str, values: list[float]) -> str:
    return (
        f"  {label:<34} p50 {statistics.median(values):7.2f} ms   p95 "
        f"{percentile(values, 95):7.2f} ms   max {max(values):7.2f} ms   n={len(values)}"
    )


# --- main ---------------------------------------------------------------------------------


def databases(which: str, workdir: Path) -> Iterator[tuple[str, str]]:
    if which in ("sqlite", "both"):
        yield "sqlite", f"sqlite:///{workdir / 'kb.db'}"
    if which in ("postgresql", "both"):
        from tests.pgserver import start_postgres

        server = start_postgres()
        try:
            yield "postgresql", server.create_database("kb_bench")
        finally:
            server.stop()


def run(
    url: str,
    articles: list[dict[str, str]],
    cases: list[dict[str, Any]],
    work: Workload,
    guide_cases: int,
) -> None:
    engine = make_engine(url)
    upgrade(engine)
    desk = Desk(engine, FrozenClock(NOW))
    staff.add_agent(desk, None, login="admin", name="Admin", role="admin")
    admin = desk.actor("admin")
    loaded = load(desk, articles, cases)
    print(
        f"  load: {len(articles):,} articles in {loaded['articles']:.1f} s "
        f"({len(articles) / loaded['articles']:,.0f}/s, indexed as inserted); "
        f"{len(cases):,} cases + links in {loaded['cases']:.1f} s"
    )
    report = library.reindex(desk, admin)
    print(f"  kb reindex (rebuild + statistics): {report.seconds:.1f} s; {size(engine)}")
    ranking = "bm25" if engine.dialect.name == "sqlite" else "ts_rank"
    print(
        f"  two-word queries (raw: plain {ranking} over every match, top 20; casedesk: "
        "library.search, two tiers, bounded, snippets included):"
    )
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET plan_cache_mode = force_custom_plan"))
        raw = raw_query(conn)
        every: list[float] = []
        for group, queries in work.two_words.items():
            print(line(f"raw      {group}", timed(raw, queries)))
            ours = timed(lambda q: library.search(desk, q), queries)
            every += ours
            print(line(f"casedesk {group}", ours))
        print(line("casedesk, all two-word queries", every))
        print("  three-letter prefixes (search as you type):")
        print(line("raw      prefix", timed(raw, work.prefixes)))
        print(line("casedesk prefix", timed(lambda q: library.search(desk, q), work.prefixes)))
        numbers = conn.execute(select(Case.number).where(Case.status == "new")).scalars().all()
    opened = [str(n) for n in numbers[:guide_cases]]
    print(line("guidance as a case opens", timed(lambda n: guidance.guidance(desk, n), opened)))
    engine.dispose()


def size(engine: Engine) -> str:
    if engine.dialect.name == "sqlite":
        return f"database file {Path(engine.url.database or '').stat().st_size / 2**20:,.0f} MiB"
    with engine.connect() as conn:
        total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    return f"database {total / 2**20:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=200, help="Per group.")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    t0 = time.perf_counter()
    articles = list(make_articles(args.articles))
    es, en = languages()
    rng = random.Random(5)
    guide = min(args.queries, max(1, args.cases // 10))
    cases = [
        make_case(rng, es if rng.random() < 0.6 else en, "new" if i < guide else "resolved")
        for i in range(args.cases)
    ]
    work = workload(articles, args.queries)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(
        f"generated {len(articles):,} articles and {len(cases):,} cases in "
        f"{time.perf_counter() - t0:.1f} s (Zipf s={ZIPF_S}, 60 % Spanish / 40 % English)"
    )
    with tempfile.TemporaryDirectory(prefix="casedesk-kb-bench-") as tmp:
        for name, url in databases(args.db, Path(tmp)):
            print(f"\n{name}:")
            run(url, articles, cases, work, guide)


if __name__ == "__main__":
    main()
