"""``casedesk contract …``: contracts of accounts, their lines, and contract templates."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import typer
from rich.table import Table

from casedesk.cli import params
from casedesk.cli.format import day as show_day
from casedesk.cli.format import period as format_period
from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, print_json
from casedesk.errors import ValidationError
from casedesk.i18n import N_, _, ngettext
from casedesk.plain import cell
from casedesk.services.contracts import contracts, templates
from casedesk.services.contracts.views import ContractView, LineStatus, TemplateView
from casedesk.textsafe import one_line

app = typer.Typer(help=_("Contracts of accounts, their lines (entitlements) and templates."),
                  no_args_is_help=True)
template_app = typer.Typer(help=_("Contract templates: a contract and its lines in one step."),
                           no_args_is_help=True)
line_app = typer.Typer(help=_("Lines of a contract: what it grants."), no_args_is_help=True)
app.add_typer(template_app, name="template")
app.add_typer(line_app, name="line")

_DAY = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$")
ALLOTMENTS = ("cases", "minutes")


def day(flag: str) -> Any:
    """A parser for a calendar day ``YYYY-MM-DD`` (years 1900–9000); bad input exits 1."""

    def parse(value: Any) -> date | None:
        if value is None or isinstance(value, date):
            return value
        text = str(value)
        try:
            if not _DAY.match(text):
                raise ValueError(text)
            parsed = date.fromisoformat(text.strip())
        except ValueError:
            shown = one_line(text)[:40]
            raise ValidationError(_("{flag} {value} is not a day like 2026-03-02").format(
                flag=flag, value=repr(shown))) from None
        if not 1900 <= parsed.year <= 9000:
            raise ValidationError(_("{flag} {day} is out of range").format(
                flag=flag, day=parsed.isoformat()))
        return parsed

    return parse


#: a line's and a contract's state as people read them
_STATES = {"ok": N_("ok"), "exhausted": N_("exhausted"), "expired": N_("expired"),
           "active": N_("active"), "none": N_("none")}


def state_word(code: str) -> str:
    """``exhausted`` → "exhausted" / "agotada"; an unknown code as it is."""
    words = _STATES.get(code)
    return _(words) if words else code


def grants(total: int, allotment: str) -> str:
    """``10 cases`` / ``600 minutes`` in the reader's language."""
    if allotment == "cases":
        return ngettext("{count} case", "{count} cases", total).format(count=total)
    if allotment == "minutes":
        return ngettext("{count} minute", "{count} minutes", total).format(count=total)
    return f"{total} {allotment}"


CONTRACT = typer.Argument(..., metavar="CONTRACT", help=_("Contract number, e.g. CT-000001."))
ACCOUNT = typer.Option(..., "--account", "-a", help=_("Account id or exact name."))


def lines_table(lines: list[LineStatus], title: str | None = None) -> Table:
    """A contract's lines and what each still allows."""
    table = Table(title=None if title is None else cell(title))
    for name in (N_("line"), N_("id"), N_("grants"), N_("used"),
                 N_("left"), N_("period"), N_("state")):
        table.add_column(_(name), no_wrap=name != "line")
    for li in lines:
        period = format_period(li.starts, li.ends)
        table.add_row(cell(li.name), str(li.id), grants(li.total, li.allotment), str(li.used),
                      str(li.left), period, state_word(li.state))
    return table


def _print_contract(c: ContractView) -> None:
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row(_("contract"), cell(f"{c.number} {c.name}"))
    head.add_row(_("account"), cell(_("{account} (id {id})").format(account=c.account,
                                                                      id=c.account_id)))
    head.add_row(_("period"), format_period(c.starts, c.ends))
    head.add_row(_("status"), cell(state_word(c.status)))
    console.print(head)
    console.print(lines_table(c.lines, title=_("lines")))
    for li in c.lines:
        if li.state != "ok":
            say(console, li.words)


@app.command("add", help=_(
    "Add a contract to an account (supervisors); add its lines with `contract line "
    "add`."
))
def add(
    ctx: typer.Context,
    account: str = ACCOUNT,
    name: str = typer.Option(..., "--name", "-n", help=_("What the contract is called.")),
    starts: Any = typer.Option(None, "--starts", help=_("First day (YYYY-MM-DD)."),
                               parser=day("--starts")),
    ends: Any = typer.Option(None, "--ends", help=_("Last day (YYYY-MM-DD)."),
                             parser=day("--ends")),
    number: str | None = typer.Option(None, "--number",
                                      help=_("Its number (default: the next CT-000000).")),
) -> None:
    state: CliState = ctx.obj
    made = contracts.add_contract(state.desk(), state.actor(), account=account, name=name,
                                  starts=starts, ends=ends, number=number)
    if state.json:
        print_json(made)
    else:
        say(console, made.number, ": ", _("contract added to {account}").format(
            account=made.account))


@line_app.command(
    "add", help=_("Add a line to a contract: a number of cases or of minutes (supervisors)."),
)
def line_add(
    ctx: typer.Context,
    contract: str = CONTRACT,
    name: str = typer.Option(..., "--name", "-n", help=_("What the line covers.")),
    allotment: str = typer.Option(..., "--allotment", help=_("cases or minutes."),
                                  parser=params.choice("--allotment", ALLOTMENTS)),
    total: int = typer.Option(..., "--total", help=_("How many cases or minutes it grants."),
                              parser=params.integer("--total", 1, contracts.MAX_TOTAL)),
    starts: Any = typer.Option(None, "--starts", help=_("Its own first day (default: the "
                               "contract's)."), parser=day("--starts")),
    ends: Any = typer.Option(None, "--ends", help=_("Its own last day (default: the "
                             "contract's)."), parser=day("--ends")),
) -> None:
    state: CliState = ctx.obj
    view = contracts.add_line(state.desk(), state.actor(), contract, name=name,
                              allotment=allotment, total=total, starts=starts, ends=ends)
    if state.json:
        print_json(view)
    else:
        say(console, view.number, ": ", _("line added ({words})").format(
            words=view.lines[-1].words))


@app.command(
    "list", help=_("List contracts, newest first, with what each line still allows today."),
)
def list_(
    ctx: typer.Context,
    account: str | None = typer.Option(None, "--account", "-a",
                                       help=_("Only this account's (id or name).")),
) -> None:
    state: CliState = ctx.obj
    actor = state.optional_actor()
    found = contracts.list_contracts(state.desk(), account=account,
                                     agent_id=actor.id if actor else None)
    if state.json:
        print_json(found)
        return
    table = Table(title=_("contracts ({count})").format(count=len(found)))
    for name in (N_("number"), N_("contract"), N_("account"), N_("period"),
                 N_("status"), N_("lines")):
        table.add_column(_(name), no_wrap=name in ("number", "period"))
    for c in found:
        lines = "; ".join(_("{line}: {left} of {grants} left").format(
            line=li.name, left=li.left, grants=grants(li.total, li.allotment))
                          + ("" if li.state == "ok" else f" ({state_word(li.state)})")
                          for li in c.lines)
        table.add_row(cell(c.number), cell(c.name), cell(c.account),
                      format_period(c.starts, c.ends), cell(state_word(c.status)),
                      cell(lines or "—"))
    console.print(table)


@app.command("show", help=_("Show a contract and its lines: granted, used, left, state."))
def show(ctx: typer.Context, contract: str = CONTRACT) -> None:
    state: CliState = ctx.obj
    actor = state.optional_actor()
    view = contracts.get_contract(state.desk(), contract, actor.id if actor else None)
    if state.json:
        print_json(view)
    else:
        _print_contract(view)


def _print_template(t: TemplateView) -> None:
    table = Table(title=cell(ngettext("template {name} — {days} day",
                                      "template {name} — {days} days", t.duration_days).format(
        name=t.name, days=t.duration_days)))
    table.add_column(_("line"))
    table.add_column(_("grants"), no_wrap=True)
    for li in t.lines:
        table.add_row(cell(li.name), grants(li.total, li.allotment))
    console.print(table)
    if t.description:
        say(console, t.description)


@template_app.command("add", help=_("Add a contract template (supervisors)."))
def template_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help=_("The template's name.")),
    days: int = typer.Option(365, "--days", help=_("How many days a contract made from it "
                             "runs."), parser=params.integer("--days", 1, templates.MAX_DAYS)),
    lines: list[str] = typer.Option(..., "--line", help=_("NAME:cases:TOTAL or "
                                    "NAME:minutes:TOTAL (repeat for more lines).")),
    description: str = typer.Option("", "--description", "-d"),
) -> None:
    state: CliState = ctx.obj
    specs = [templates.parse_line_spec(text) for text in lines]
    made = templates.add_template(state.desk(), state.actor(), name=name, duration_days=days,
                                  lines=specs, description=description)
    if state.json:
        print_json(made)
    else:
        say(console, ngettext("contract template {name} added with {count} line",
                             "contract template {name} added with {count} lines",
                             len(made.lines)).format(name=made.name, count=len(made.lines)))


@template_app.command("list", help=_("List the contract templates."))
def template_list(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    found = templates.list_templates(state.desk())
    if state.json:
        print_json(found)
        return
    table = Table(title=_("contract templates ({count})").format(count=len(found)))
    for name in (N_("template"), N_("days"), N_("lines")):
        table.add_column(_(name))
    for t in found:
        table.add_row(cell(t.name), str(t.duration_days), cell("; ".join(
            f"{li.name}: {grants(li.total, li.allotment)}" for li in t.lines)))
    console.print(table)


@template_app.command("show", help=_("Show a contract template and its lines."))
def template_show(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME")) -> None:
    state: CliState = ctx.obj
    t = templates.get_template(state.desk(), name)
    if state.json:
        print_json(t)
    else:
        _print_template(t)


@template_app.command(
    "apply", help=_("Create a contract with all its lines from a template (supervisors)."),
)
def template_apply(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help=_("The template's name.")),
    account: str = ACCOUNT,
    starts: Any = typer.Option(None, "--starts", help=_("First day (default: today)."),
                               parser=day("--starts")),
    contract_name: str | None = typer.Option(None, "--name", "-n",
                                             help=_("The contract's name (default: the "
                                             "template's).")),
    number: str | None = typer.Option(None, "--number", help=_("Its number (default: next).")),
) -> None:
    state: CliState = ctx.obj
    made = templates.apply_template(state.desk(), state.actor(), name, account=account,
                                    starts=starts, contract_name=contract_name, number=number)
    if state.json:
        print_json(made)
    else:
        say(console, made.number, ": ", ngettext(
            "contract {name} for {account} from {starts} to {ends}, {count} line",
            "contract {name} for {account} from {starts} to {ends}, {count} lines",
            len(made.lines)).format(name=made.name, account=made.account,
                                    starts=show_day(made.starts) if made.starts else "—",
                                    ends=show_day(made.ends) if made.ends else "—",
                                    count=len(made.lines)))
