"""Demo data: the people and cases of the seed documents plus realistic generated ones.

Generated cases go in through Core ``insert()`` in batches (no ORM object per row), with
numbers claimed in one block and SLA deadlines computed through a per-minute cache, so a
million cases load in well under two minutes on SQLite.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, insert, select
from sqlmodel import SQLModel, col

from casedesk.bulk import bulk_insert
from casedesk.datafiles import read_text_file
from casedesk.db import read_session, write_session
from casedesk.models import (
    Account,
    AccountProduct,
    Agent,
    Article,
    Case,
    CaseEvent,
    Contact,
    Contract,
    ContractLine,
    Product,
    Queue,
    SlaPolicy,
)
from casedesk.models.base import table_of
from casedesk.models.config import ContractTemplate
from casedesk.services.context import Desk
from casedesk.services.directory import queue_setup, staff
from casedesk.services.directory.customers import contact_keys, name_key
from casedesk.services.numbers import claim_numbers
from casedesk.services.sla import clocks, policy_files
from casedesk.services.workflow import cases, interactions, transitions

AGENTS = [
    # login, name, role, skills, queues
    ("admin", "Administración", "admin", [], ["technical", "billing", "commercial", "escalations"]),
    (
        "sofia",
        "Sofía Navarro",
        "supervisor",
        ["network", "billing", "sales"],
        ["technical", "billing", "commercial", "escalations"],
    ),
    ("maria", "María López", "agent", ["payments", "billing", "web"], ["technical", "billing"]),
    ("carlos", "Carlos Martínez", "agent", ["accounts", "network", "database"], ["technical"]),
    ("lucia", "Lucía Fernández", "agent", ["billing", "contracts"], ["billing", "commercial"]),
    ("javier", "Javier Gómez", "agent", ["sales", "retention"], ["commercial"]),
    ("elena", "Elena Ruiz", "agent", ["network", "tv"], ["technical", "escalations"]),
]
QUEUES = [
    ("technical", "technical", "Incidents, faults and configuration"),
    ("billing", "billing", "Invoices, payments and administrative requests"),
    ("commercial", "commercial", "Sales, upgrades, cancellations and offers"),
    ("escalations", "general", "Breached or escalated cases for supervisors"),
]
PRODUCTS = [
    ("FIB600", "Fibra 600 Mb"),
    ("MOVIL", "Móvil ilimitado"),
    ("TV", "TV Total"),
    ("ROUTER", "Router wifi 6"),
    ("CLOUD", "Copia en la nube"),
]
FIRST = [
    "Lucía",
    "Hugo",
    "Martina",
    "Pablo",
    "Sofía",
    "Daniel",
    "Valeria",
    "Álvaro",
    "Paula",
    "Adrián",
    "Carmen",
    "Diego",
    "Elena",
    "Mario",
    "Irene",
    "Sergio",
    "Laura",
    "Raúl",
    "Nerea",
    "Iván",
    "Claudia",
    "Jorge",
    "Alba",
    "Rubén",
    "Marta",
    "Óscar",
    "Noelia",
]
LAST = [
    "García",
    "Rodríguez",
    "González",
    "Fernández",
    "López",
    "Martínez",
    "Sánchez",
    "Pérez",
    "Gómez",
    "Martín",
    "Jiménez",
    "Ruiz",
    "Hernández",
    "Díaz",
    "Moreno",
    "Muñoz",
    "Álvarez",
    "Romero",
    "Alonso",
    "Gutiérrez",
    "Navarro",
    "Torres",
    "Domínguez",
    "Vázquez",
    "Ramos",
]
PROBLEMS = {
    "technical": [
        "Sin conexión a internet",
        "El router se reinicia solo",
        "Wifi lento por la noche",
        "No funciona la TV",
        "Error al iniciar sesión en la app",
        "No recibe llamadas en el móvil",
        "Cortes intermitentes de fibra",
        "No puedo acceder a mi cuenta",
    ],
    "billing": [
        "Cargo duplicado en la factura",
        "No puedo completar el pago en línea",
        "Solicitud de factura detallada",
        "Cambio de cuenta bancaria",
        "Devolución de recibo",
        "Importe incorrecto en la factura",
    ],
    "commercial": [
        "Quiere ampliar la velocidad de fibra",
        "Consulta sobre oferta de TV",
        "Solicita la baja del servicio",
        "Portabilidad de línea móvil",
        "Información de tarifas para empresa",
    ],
}
AREAS = list(PROBLEMS)
PRIORITIES = ["high"] * 2 + ["medium"] * 5 + ["low"] * 3
SEVERITIES = ["critical"] * 1 + ["major"] * 3 + ["minor"] * 6


def is_empty(desk: Desk) -> bool:
    with read_session(desk.engine) as session:
        agents: int = session.execute(select(func.count()).select_from(Agent)).scalar_one()
        return agents == 0


def seed(desk: Desk, *, cases: int = 200, seed: int = 7) -> dict[str, int]:
    """Seed people, queues, SLA configuration, the seed documents' cases, then ``cases`` more."""
    rng = random.Random(seed)
    policy_files.load_defaults(desk)
    _people(desk)
    _templates(desk)
    _articles(desk)
    contact_ids = _customers(desk, rng, 300)
    _seed_cases(desk)
    routing_rules(desk)
    if cases:
        generate_cases(desk, cases, rng=rng, contact_ids=contact_ids, days=1)
    with read_session(desk.engine) as session:

        def count(model: type[SQLModel]) -> int:
            n: int = session.execute(select(func.count()).select_from(model)).scalar_one()
            return n

        return {
            "agents": count(Agent),
            "queues": count(Queue),
            "contacts": count(Contact),
            "cases": count(Case),
            "articles": count(Article),
        }


def _people(desk: Desk) -> None:
    first = AGENTS[0]
    staff.add_agent(desk, None, login=first[0], name=first[1], role=first[2])
    admin = desk.actor("admin")
    for name, area, description in QUEUES:
        queue_setup.add_queue(desk, admin, name=name, area=area, description=description)
    for login, name, role, skills, queues in AGENTS:
        if login == "admin":
            for q in queues:
                queue_setup.set_membership(desk, admin, q, "admin", True)
            continue
        staff.add_agent(
            desk,
            admin,
            login=login,
            name=name,
            role=role,
            skills=skills,
            queues=queues,
            email=f"{login}@casedesk.example",
        )


def _templates(desk: Desk) -> None:
    """The shipped case templates and their playbooks (``data/templates.toml``)."""
    from casedesk.services.workflow.templates import parse_templates, save_templates

    path = policy_files.DATA_DIR / "templates.toml"
    specs = parse_templates(read_text_file(path), path.name)
    with write_session(desk.engine) as session:
        save_templates(session, specs)

def _articles(desk: Desk) -> None:
    """The knowledge base's first articles, published, each in Spanish and English
    (:mod:`casedesk.services.demo_articles`); the supervisor wrote them. One transaction
    (the search index follows the rows by itself, as for any article)."""
    from casedesk.services.demo_articles import ARTICLES

    now = desk.now()
    author = desk.actor("sofia")
    with write_session(desk.engine) as session:
        numbers = claim_numbers(session, "article", len(ARTICLES))
        session.execute(insert(Article), [
            {"number": number, "title": a.title, "keywords": a.keywords, "body": a.body,
             "status": "published", "author_id": author.id, "created_at": now,
             "updated_at": now, "used_count": 0, "version": 1}
            for number, a in zip(numbers, ARTICLES, strict=True)
        ])


def _customers(desk: Desk, rng: random.Random, n: int) -> list[int]:
    now = desk.now()
    with write_session(desk.engine) as session:
        session.execute(insert(Product), [{"code": c, "name": n} for c, n in PRODUCTS])
        products = dict(session.execute(select(col(Product.code), col(Product.id))).all())
        juan_acc = session.execute(
            insert(Account)
            .values(name="Juan Pérez", tier="gold", created_at=now, name_key=name_key("Juan Pérez"))
            .returning(col(Account.id))
        ).scalar_one()
        ana_acc = session.execute(
            insert(Account)
            .values(name="Ana García", tier="standard", created_at=now,
                    name_key=name_key("Ana García"))
            .returning(col(Account.id))
        ).scalar_one()
        session.execute(
            insert(Contact),
            [
                c | contact_keys(c["name"], c["email"], c["phone"]) for c in [
                {
                    "name": "Juan Pérez",
                    "email": "juan.perez@example.com",
                    "phone": "+123456789",
                    "account_id": juan_acc,
                    "marketing_consent": True,
                    "created_at": now,
                },
                {
                    "name": "Ana García",
                    "email": "ana.garcia@example.com",
                    "phone": "+987654321",
                    "account_id": ana_acc,
                    "marketing_consent": False,
                    "created_at": now,
                },
                ]
            ],
        )
        session.execute(
            insert(AccountProduct),
            [
                {"account_id": juan_acc, "product_id": products["FIB600"], "serial": "FTTH-88213"},
                {"account_id": juan_acc, "product_id": products["ROUTER"], "serial": "RT6-0041"},
                {
                    "account_id": ana_acc,
                    "product_id": products["MOVIL"],
                    "serial": "+34 611 000 111",
                },
            ],
        )
        contract = session.execute(
            insert(Contract)
            .values(
                number="CT-2026-001",
                account_id=juan_acc,
                name="Soporte Premium Hogar",
                status="active",
            )
            .returning(col(Contract.id))
        ).scalar_one()
        session.execute(
            insert(ContractLine),
            [
                {
                    "contract_id": contract,
                    "product_id": products["FIB600"],
                    "name": "Incidencias fibra",
                    "allotment": "cases",
                    "total": 12,
                    "used": 0,
                },
                {
                    "contract_id": contract,
                    "product_id": None,
                    "name": "Asistencia remota",
                    "allotment": "minutes",
                    "total": 600,
                    "used": 0,
                },
            ],
        )
        # issue 14: a second contract whose cases line is used up (the workstation says so)
        basic = session.execute(
            insert(Contract)
            .values(number="CT-2026-002", account_id=ana_acc, name="Soporte móvil básico",
                    status="active")
            .returning(col(Contract.id))
        ).scalar_one()
        session.execute(
            insert(ContractLine),
            [
                {"contract_id": basic, "product_id": products["MOVIL"],
                 "name": "Consultas móvil", "allotment": "cases", "total": 2, "used": 2},
                {"contract_id": basic, "product_id": None, "name": "Soporte remoto móvil",
                 "allotment": "minutes", "total": 60, "used": 20},
            ],
        )
        session.execute(insert(ContractTemplate).values(
            name="Hogar Plus", description="Un año de soporte: 10 incidencias y 10 horas.",
            duration_days=365, lines=[
                {"name": "Incidencias", "allotment": "cases", "total": 10},
                {"name": "Soporte remoto", "allotment": "minutes", "total": 600}]))
        accounts: list[dict[str, Any]] = []
        for i in range(n):
            tier = rng.choices(["standard", "gold", "vip"], [80, 15, 5])[0]
            accounts.append(
                {
                    "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}",
                    "tier": tier,
                    "created_at": now,
                    "external_id": f"demo-acc-{i}",
                }
            )
        session.execute(insert(Account), [a | {"name_key": name_key(a["name"])} for a in accounts])
        acc_ids = (
            session.execute(
                select(col(Account.id))
                .where(col(Account.external_id).like("demo-acc-%"))
                .order_by(col(Account.id))
            )
            .scalars()
            .all()
        )
        contacts = []
        for i, (acc, row) in enumerate(zip(acc_ids, accounts, strict=True)):
            first, last = row["name"].split(" ", 1)
            user = f"{first}.{last.split()[0]}{i}".lower()
            contacts.append(
                {
                    "name": f"{first} {last}",
                    "account_id": acc,
                    "email": f"{user}@correo.example",
                    "phone": f"+34 6{rng.randrange(10**8):08d}",
                    "marketing_consent": rng.random() < 0.4,
                    "created_at": now,
                    "external_id": f"demo-con-{i}",
                }
            )
        session.execute(insert(Contact), [
            c | contact_keys(c["name"], c["email"], c["phone"]) for c in contacts])
        return list(session.execute(select(col(Contact.id)).order_by(col(Contact.id))).scalars())


def _seed_cases(desk: Desk) -> None:
    """The worked examples of the CRM course (seed 000), as live cases."""
    maria, carlos = desk.actor("maria"), desk.actor("carlos")
    with read_session(desk.engine) as session:
        juan = session.execute(
            select(col(Contact.id)).where(col(Contact.name) == "Juan Pérez")
        ).scalar_one()
        ana = session.execute(
            select(col(Contact.id)).where(col(Contact.name) == "Ana García")
        ).scalar_one()
        line = session.execute(
            select(col(ContractLine.id)).where(col(ContractLine.name) == "Incidencias fibra")
        ).scalar_one()
    call = interactions.log_interaction(
        desk,
        maria,
        channel="phone",
        direction="inbound",
        typification="incident",
        contact_id=juan,
        subject="No puede completar el pago en línea",
        duration_seconds=420,
        notes="Error tras introducir los datos de la tarjeta.",
    )
    c1 = cases.create_case(
        desk,
        maria,
        title="No puedo completar el pago en línea",
        description="Aparece un error después de ingresar los detalles de la tarjeta.",
        area="billing",
        priority="high",
        severity="critical",
        contact_id=juan,
        contract_line_id=line,
        from_interaction=call.id,
    )
    transitions.start(desk, maria, c1.number)
    transitions.resolve(
        desk,
        maria,
        c1.number,
        "solved",
        "El problema fue causado por una actualización reciente. Se ha revertido "
        "la actualización y el cliente puede ahora completar el pago.",
    )
    c2 = cases.create_case(
        desk,
        carlos,
        title="No puedo acceder a mi cuenta",
        description="Aparece un mensaje de error al intentar iniciar sesión.",
        area="technical",
        priority="medium",
        severity="major",
        contact_id=ana,
        queue="technical",
    )
    transitions.accept(desk, carlos, c2.number)
    transitions.start(desk, carlos, c2.number)
    interactions.log_interaction(
        desk,
        carlos,
        channel="email",
        direction="outbound",
        typification="incident",
        contact_id=ana,
        case=c2.number,
        subject="Estamos revisando su acceso",
    )
    cases.create_case(
        desk,
        maria,
        title="Caída de fibra en Sevilla (caso principal)",
        description="Varios clientes sin servicio en la zona de Triana.",
        area="technical",
        priority="high",
        severity="critical",
        queue="technical",
    )


#: The demo's routing rules (a rules file as data: docs/routing.md), in Spanish-floor terms.
DEMO_RULES: dict[str, Any] = {
    "rule": [
        {"name": "vip", "queue": "escalations", "set_priority": "high",
         "when": {"tier": "vip", "severity": ["critical", "major"]}},
        {"name": "facturas", "queue": "billing",
         "when": {"keywords": ["factura", "cobro", "recibo", "reembolso", "pago"]}},
        {"name": "averías", "queue": "technical",
         "when": {"keywords": ["avería", "sin servicio", "no funciona", "fibra", "router",
                               "internet", "wifi"]}},
        {"name": "bajas y ofertas", "queue": "commercial",
         "when": {"keywords": ["baja", "cancelar", "portabilidad", "oferta", "tarifa"]}},
        {"name": "técnico por área", "queue": "technical", "when": {"area": "technical"}},
    ],
    "categories": {"billing": {"skills": ["billing"]}, "technical": {"skills": ["network"]},
                   "commercial": {"skills": ["sales"]}},
}


def routing_rules(desk: Desk) -> None:
    """The demo's routing rules and category skills, so new demo cases route (loaded after
    the seed documents' cases, which are placed by hand)."""
    from casedesk.services.routing import rule_files

    rule_files.store_rules(desk, rule_files.parse_rules(DEMO_RULES, "the demo rules"))


#: first response due and warn, resolution due and warn, inactivity due, due at.
_Deadlines = tuple[
    datetime | None, datetime | None, datetime | None, datetime | None, datetime | None, datetime
]


def generate_cases(
    desk: Desk,
    n: int,
    *,
    rng: random.Random | None = None,
    contact_ids: list[int] | None = None,
    batch: int = 20_000,
    queue: str | None = None,
    days: int = 20,
    owned_share: float = 0.08,
) -> int:
    """Insert ``n`` realistic cases in batches; most wait in queues, some are in bins."""
    rng = rng or random.Random(1)
    now = desk.now()
    with read_session(desk.engine) as session:
        queues = dict(session.execute(select(col(Queue.name), col(Queue.id))).all())
        agents = session.execute(select(col(Agent.id), col(Agent.role))).all()
        members = [a for a, role in agents if role == "agent"] or [a for a, _ in agents]
        if contact_ids is None:
            contact_ids = list(session.execute(select(col(Contact.id)).limit(5000)).scalars())
        contact_accounts = dict(
            session.execute(
                select(col(Contact.id), col(Contact.account_id)).where(
                    col(Contact.id).in_(contact_ids[:5000])
                )
            ).all()
        )
        tiers = dict(session.execute(select(col(Account.id), col(Account.tier))).all())
        policies: list[SlaPolicy] = list(
            session.execute(
                select(SlaPolicy)
                .where(col(SlaPolicy.active).is_(True))
                .order_by(col(SlaPolicy.position), col(SlaPolicy.id))
            ).scalars()
        )
        targets = {p.id: clocks.targets_of(session, p) for p in policies}
    contact_pool = list(contact_accounts) or [None]

    @lru_cache(maxsize=4096)
    def pick_policy(
        priority: str, severity: str, tier: str | None, queue_name: str | None
    ) -> int | None:
        facts = {
            "priority": priority,
            "severity": severity,
            "tier": tier,
            "queue": queue_name,
            "contract": False,
        }
        for p in policies:
            cond = p.match or {}
            if all(clocks._matches(cond.get(k), facts.get(k)) for k in facts):
                return p.id
        return None

    @lru_cache(maxsize=200_000)
    def due_for(policy_id: int | None, created_minute: datetime) -> _Deadlines:
        t = targets.get(policy_id, clocks.NO_POLICY)
        probe = clocks.ClockFacts(created_at=created_minute, status="new")
        v = clocks.deadlines(probe, t, created_minute)
        return (
            v["first_response_due"],
            v["first_response_warn"],
            v["resolution_due"],
            v["resolution_warn"],
            v["inactivity_due"],
            v["due_at"],
        )

    with write_session(desk.engine) as session:
        numbers = claim_numbers(session, "case", n)
    done = 0
    while done < n:
        size = min(batch, n - done)
        rows: list[dict[str, Any]] = []
        for k in range(size):
            area = rng.choice(AREAS)
            queue_name = queue or area
            priority = rng.choice(PRIORITIES)
            severity = rng.choice(SEVERITIES)
            contact = rng.choice(contact_pool)
            account = contact_accounts.get(contact)
            created = now - timedelta(minutes=rng.randrange(days * 24 * 60))
            minute = created.replace(second=0, microsecond=0)
            policy_id = pick_policy(priority, severity, tiers.get(account), queue_name)
            fr, frw, res, resw, inact, due = due_for(policy_id, minute)
            owner = rng.choice(members) if rng.random() < owned_share else None
            status = "in_progress" if owner else "new"
            rows.append(
                {
                    "number": numbers[done + k],
                    "title": rng.choice(PROBLEMS[area]),
                    "description": "Generado para la demo.",
                    "area": area,
                    "priority": priority,
                    "severity": severity,
                    "status": status,
                    "channel": rng.choice(["phone", "phone", "email", "web", "chat"]),
                    "contact_id": contact,
                    "account_id": account,
                    "queue_id": queues.get(queue_name),
                    "owner_id": owner,
                    "creator_id": members[0],
                    "sla_policy_id": policy_id,
                    "created_at": minute,
                    "updated_at": minute,
                    "last_activity_at": minute,
                    "due_at": due,
                    "first_response_due": fr,
                    "first_response_warn": frw,
                    "resolution_due": res,
                    "resolution_warn": resw,
                    "inactivity_due": inact,
                    "paused_seconds": 0,
                    "sla_flags": 0,
                    "version": 1,
                }
            )
        with write_session(desk.engine) as session:
            if desk.engine.dialect.name == "sqlite":  # room for the indexes being built
                session.connection().exec_driver_sql("PRAGMA cache_size=-262144")
            bulk_insert(session.connection(), table_of(Case), rows)
            first, last = rows[0]["number"], rows[-1]["number"]
            ids = session.execute(
                select(col(Case.id), col(Case.number)).where(col(Case.number).between(first, last))
            ).all()
            by_number = {row["number"]: row for row in rows}
            events = []
            for case_id, number in ids:
                row = by_number[number]
                events.append(
                    {
                        "case_id": case_id,
                        "at": row["created_at"],
                        "actor_id": row["creator_id"],
                        "kind": "create",
                        "to_queue_id": row["queue_id"],
                        "to_owner_id": row["owner_id"],
                        "to_status": "new",
                    }
                )
            bulk_insert(session.connection(), table_of(CaseEvent), events)
        done += size
    return n
