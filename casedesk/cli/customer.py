"""``casedesk customer show``: the customer at a glance."""

from __future__ import annotations

import typer
from rich.table import Table

from casedesk import labels
from casedesk.cli.contract import lines_table, state_word
from casedesk.cli.format import cases_table, period, say, when
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import N_, _, ngettext
from casedesk.localformat import number
from casedesk.plain import cell
from casedesk.services.queries import customer_view
from casedesk.services.queries.views import CustomerView

app = typer.Typer(help=_("Customers: everything about one at a glance."), no_args_is_help=True)


def satisfaction_words(view: CustomerView) -> str:
    """``4.5 average over 2 rated cases (last 5)`` or that none is known."""
    if view.satisfaction_average is None:
        return _("No case of this customer has been rated.")
    return ngettext(
        "{average} of 5 on average over {count} rated case; the last rating was {last}.",
        "{average} of 5 on average over {count} rated cases; the last rating was {last}.",
        view.satisfaction_count or 0,
    ).format(average=number(view.satisfaction_average, 1), count=view.satisfaction_count,
             last=view.satisfaction_last)


@app.command("show", help=_(
    "Show a customer: products, contracts and what is left, cases, interactions, "
    "satisfaction."
))
def show(
    ctx: typer.Context,
    who: str = typer.Argument(..., metavar="CUSTOMER",
                              help=_("A contact id, e-mail, phone or name; with --account, an "
                                   "account id or name.")),
    account: bool = typer.Option(False, "--account", help=_("CUSTOMER names an account.")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    actor = state.optional_actor()
    agent_id = actor.id if actor else None
    if account:
        view = customer_view.customer_view(
            desk, account_id=customer_view.find_account(desk, who), agent_id=agent_id)
    else:
        view = customer_view.customer_view(
            desk, contact_id=customer_view.find_contact(desk, who), agent_id=agent_id)
    if state.json:
        print_json(view)
        return
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    if view.account:
        head.add_row(_("account"), cell(_("{account} ({tier}, id {id})").format(
            account=view.account, tier=labels.label("tier", view.tier), id=view.account_id)))
    if view.contact:
        bits = [b for b in (view.contact_phone, view.contact_email) if b]
        head.add_row(_("contact"), cell(" · ".join([view.contact, *bits])
                                     + " " + _("(id {id})").format(id=view.contact_id)))
    head.add_row(_("contacts"), cell(", ".join(view.contacts) or "—"))
    head.add_row(_("satisfaction"), cell(satisfaction_words(view)))
    console.print(head)
    products = Table(title=_("products and services"))
    for name in (N_("code"), N_("product"), N_("serial"), N_("since"), N_("until")):
        products.add_column(_(name))
    for p in view.products:
        products.add_row(cell(p.code), cell(p.name), cell(p.serial or "—"), p.since or "—",
                         p.until or "—")
    console.print(products)
    for c in view.contracts:
        console.print(lines_table(c.lines, title=_(
            "contract {number} {name} ({period}, {status})").format(
            number=c.number, name=c.name, period=period(c.starts, c.ends),
            status=state_word(c.status))))
    if not view.contracts:
        say(console, _("No contract on record."))
    for found, some, none in (
        (view.open_cases, N_("open cases ({count})"), N_("open cases: none")),
        (view.past_cases, N_("past cases ({count})"), N_("past cases: none")),
    ):
        if found:
            console.print(cases_table(found, title=_(some).format(count=len(found))))
        else:
            say(console, _(none))
    table = Table(title=_("interactions ({count})").format(count=len(view.interactions)))
    for name in (N_("at"), N_("channel"), N_("subject"), N_("agent"), N_("case")):
        table.add_column(_(name), no_wrap=name in ("at", "case"))
    for i in view.interactions:
        table.add_row(when(i.started_at), cell(f"{labels.label('direction', i.direction)} "
                                              f"{labels.label('channel', i.channel)}"),
                      cell(i.subject or "—"), cell(i.agent or "—"), cell(i.case or "—"))
    console.print(table)
