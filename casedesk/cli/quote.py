"""``casedesk case quote``: attach a quote to a case, or list its quotes.

The customer approves or declines it in the portal (``casedesk web``). Registered under
``case`` by one line in :mod:`casedesk.cli.case` (``app.command("quote")(quote)``).
"""

from __future__ import annotations

import typer

from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import _


def quote(
    ctx: typer.Context,
    number: str = typer.Argument(..., metavar="CASE", help=_("Case number (CS-000123 or 123).")),
    amount: str | None = typer.Argument(
        None, help=_("The price, e.g. 120.50 (none: list the case's quotes).")),
    currency: str = typer.Option("EUR", "--currency", help=_("Currency code.")),
    note: str = typer.Option("", "--note", help=_("What the price is for.")),
) -> None:
    from casedesk.services.portal import quotes

    state: CliState = ctx.obj
    desk = state.desk()
    if amount is not None:
        row = quotes.add_quote(desk, state.actor(), number, amount, currency=currency,
                               description=note)
        rows = [row]
    else:
        rows = quotes.quotes_of(desk, number)
    if state.json:
        print_json([{"id": r.id, "amount_cents": r.amount_cents, "currency": r.currency,
                     "description": r.description, "status": r.status,
                     "created_at": r.created_at.isoformat()} for r in rows])
        return
    for r in rows:
        console.print(f"#{r.id}  {r.amount_cents / 100:.2f} {r.currency}  {r.status}  "
                      f"{r.description}", markup=False)


quote.__doc__ = _("Attach a quote to a case for the customer to approve in the portal; "
                  "without an amount, list the case's quotes.")
