"""More kinds (issue 16 point 5): products held by accounts, contracts and their lines (and
their exports, which import back unchanged), articles from a folder of Markdown files, and
a ticket's comments threaded onto its case. Both databases."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from casedesk.db import read_session
from casedesk.models import (
    AccountProduct,
    Article,
    Case,
    Contract,
    ContractLine,
    Interaction,
    Product,
)
from casedesk.services.imports.export import export_records
from casedesk.services.imports.run import run_import
from casedesk.services.imports.summary import ImportOptions, ImportSummary
from tests.conftest import World


def imp(world: World, kind: str, path: Path, **options: object) -> ImportSummary:
    return run_import(world.desk, world.sup, kind, [path],
                      ImportOptions(timezone="UTC", **options))  # type: ignore[arg-type]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def all_of(world: World, model: type) -> list:  # type: ignore[type-arg]
    with read_session(world.desk.engine) as session:
        return list(session.execute(select(model).order_by(col(model.id))).scalars())


def test_products_held_by_accounts_create_new_products(world: World, tmp_path: Path) -> None:
    path = write(tmp_path / "held.csv",
                 "account,product,serial,since,until\n"
                 "Pérez Hogar,Dell XPS 13,SN-1,01/02/2024,31/12/2025\n"
                 "PEREZ HOGAR,dell xps 13,SN-2,2024-02-03,2026-02-03\n"
                 "Pérez Hogar,Dell XPS 13,SN-1,01/02/2024,31/12/2025\n"
                 "Nobody Inc,Dell XPS 13,SN-9,,\n")
    summary = imp(world, "account-products", path)
    assert (summary.created, summary.unchanged, summary.rejected) == (2, 1, 1)
    assert "no account with id or name" in summary.errors[0]
    products = all_of(world, Product)
    assert [(p.code, p.name) for p in products] == [("DELL-XPS-13", "Dell XPS 13")]
    held = all_of(world, AccountProduct)
    assert [(h.serial, h.since, h.until) for h in held] == [
        ("SN-1", date(2024, 2, 1), date(2025, 12, 31)),
        ("SN-2", date(2024, 2, 3), date(2026, 2, 3))]
    again = imp(world, "account-products", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert len(all_of(world, Product)) == 1
    write(path, "account,product,serial,until\nPérez Hogar,DELL-XPS-13,SN-2,2027-01-01\n")
    moved = imp(world, "account-products", path)
    assert (moved.created, moved.updated) == (0, 1)
    assert all_of(world, AccountProduct)[1].until == date(2027, 1, 1)


def test_contracts_and_lines_import_and_export_back(world: World, tmp_path: Path) -> None:
    contracts = write(tmp_path / "contracts.csv",
                      "contract number,account,name,start date,end date,status\n"
                      "CT-1,Pérez Hogar,Soporte 24h,2025-01-01,2025-12-31,vigente\n"
                      "CT-2,Pérez Hogar,,2025-06-01,2025-01-01,active\n")
    summary = imp(world, "contracts", contracts)
    assert (summary.created, summary.rejected) == (1, 1)
    assert "ends: 2025-01-01 is before starts" in summary.errors[0]
    lines = write(tmp_path / "lines.csv",
                  "contract,name,type,total,used,product\n"
                  "CT-1,Bolsa de casos,casos,20,3,\n"
                  "CT-1,Asistencia remota,minutos,600,0,Remote help\n"
                  "CT-9,Ghost,casos,1,0,\n"
                  "CT-1,Too much,casos,2,5,\n")
    summary = imp(world, "contract-lines", lines)
    assert (summary.created, summary.rejected) == (2, 2)
    (contract,) = all_of(world, Contract)
    assert (contract.number, contract.status, contract.ends) == ("CT-1", "active",
                                                                 date(2025, 12, 31))
    stored = all_of(world, ContractLine)
    assert [(line.name, line.allotment, line.total, line.used) for line in stored] == [
        ("Bolsa de casos", "cases", 20, 3), ("Asistencia remota", "minutes", 600, 0)]
    assert stored[1].product_id is not None and stored[0].product_id is None
    for kind in ("contracts", "contract-lines"):
        out = tmp_path / f"{kind}-export.csv"
        with out.open("w", encoding="utf-8", newline="") as f:
            export_records(world.desk, world.sup, kind, f)
        back = imp(world, kind, out)
        assert (back.created, back.updated, back.rejected) == (0, 0, 0), (kind, back.errors)
        assert back.unchanged == back.read > 0


def test_articles_from_a_markdown_folder(world: World, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    (folder / "billing").mkdir(parents=True)
    write(folder / "billing" / "refunds.md", "---\ntitle: Refunds\ntags: [billing, money]\n"
                                             "status: published\n---\nHow to refund.\n")
    write(folder / "router.md", "# Router [bold]reset[/]\n\nHold the button 10 s.\n")
    write(folder / "no-title.md", "Just text.\n")
    write(folder / "broken.md", "---\ntitle: [unclosed\n---\nx\n")
    (folder / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    (folder / "notes.txt").write_text("not markdown", encoding="utf-8")
    summary = imp(world, "articles", folder)
    assert (summary.read, summary.created, summary.rejected) == (5, 3, 2)
    assert any("broken.md: front matter" in e for e in summary.errors)
    assert any("latin1.md: not UTF-8 text" in e for e in summary.errors)
    assert Path(summary.rejects[0]) == tmp_path / "kb.rejects.jsonl"
    articles = {a.external_id: a for a in all_of(world, Article)}
    assert sorted(articles) == ["billing/refunds.md", "no-title.md", "router.md"]
    refunds, router = articles["billing/refunds.md"], articles["router.md"]
    assert (refunds.title, refunds.keywords, refunds.status, refunds.body) == (
        "Refunds", "billing, money", "published", "How to refund.")
    assert router.title == "Router [bold]reset[/]" and router.body == "Hold the button 10 s."
    assert articles["no-title.md"].title == "no title"
    write(folder / "router.md", "# Router reset\n\nHold the button 30 s.\n")
    again = imp(world, "articles", folder)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    assert len(all_of(world, Article)) == 3


def test_comments_are_threaded_onto_their_ticket(world: World, tmp_path: Path) -> None:
    tickets = write(tmp_path / "tickets.csv", "Ticket ID,Subject\n1234,Printer\n77,Other\n")
    assert imp(world, "cases", tickets, queue="technical").created == 2
    comments = write(tmp_path / "comments.csv",
                     "Comment ID,Ticket ID,Author,Public,Created At,Body,Channel\n"
                     "c1,1234.0,Juan Pérez,true,2025-01-02 10:00,\"It is offline.\n"
                     "Again.\",web\n"
                     "c2,1234,Ana García,false,2025-01-02 10:05,Checking the driver.,web\n"
                     "c3,1234,ana,yes,2025-01-02 10:30,Fixed: reinstall it.,web\n"
                     "c4,9999,ana,yes,2025-01-02 10:30,Lost,web\n")
    summary = imp(world, "interactions", comments)
    assert (summary.created, summary.rejected) == (3, 1)
    assert "case: no case" in summary.errors[0]
    with read_session(world.desk.engine) as session:
        case_id = session.execute(select(Case.id).where(Case.external_id == "1234")).scalar_one()
        rows = list(session.execute(select(Interaction).where(Interaction.case_id == case_id)
                                    .order_by(col(Interaction.id))).scalars())
    assert [r.external_id for r in rows] == ["c1", "c2", "c3"]  # file order
    assert [(r.direction, r.agent_id) for r in rows] == [
        ("inbound", None), ("outbound", world.ana.id), ("outbound", world.ana.id)]
    assert rows[0].extras == {"author": "Juan Pérez", "public": True}
    assert rows[1].extras == {"public": False} and rows[0].notes == "It is offline.\nAgain."
    again = imp(world, "interactions", comments)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
