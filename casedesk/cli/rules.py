"""``casedesk rules …``: routing rules as data — load, list, test, enable, disable, move."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from casedesk.cli import params
from casedesk.cli.format import say
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import N_, _
from casedesk.labels import label
from casedesk.models.base import Area, Channel, Priority, Severity, Tier
from casedesk.plain import cell
from casedesk.services.routing import rule_files
from casedesk.services.routing.rule_files import RuleView
from casedesk.services.routing.rules import NewCase

app = typer.Typer(help=_("Routing rules: where new cases go (supervisors change them)."),
                  no_args_is_help=True)

FILE = typer.Argument(..., metavar="FILE", help=_("A TOML or YAML rules file (docs/routing.md)."))
NAME = typer.Argument(..., metavar="NAME", help=_("The rule's name (see `casedesk rules list`)."))


def _print_rules(state: CliState, rules: list[RuleView]) -> None:
    if state.json:
        print_json(rules)
        return
    if not rules:
        say(console, _("no routing rules: new cases go where they are created (load some "
                       "with `casedesk rules load FILE`)"))
        return
    table = Table()
    for column in ("#", N_("rule"), N_("when"), N_("queue"), N_("strategy"), N_("sets"),
                   N_("enabled")):
        table.add_column(_(column) if column != "#" else column)
    for r in rules:
        sets = ", ".join(
            _(words).format(value=label(vocabulary, v)) for words, vocabulary, v in (
                (N_("priority {value}"), "priority", r.set_priority),
                (N_("severity {value}"), "severity", r.set_severity)) if v)
        skills = (" " + _("(skills {skills})").format(skills=", ".join(r.required_skills))
                  if r.required_skills else "")
        table.add_row(str(r.position), cell(r.name), cell(r.when), cell(r.queue),
                      cell(label("strategy", r.strategy) + skills),
                      cell(sets or "—"), _("yes") if r.active else _("no"))
    console.print(table)


@app.command(
    "load", help=_("Load a rules file: checked whole first, then stored in one transaction."),
)
def rules_load(
    ctx: typer.Context,
    path: Path = FILE,
    upsert: bool = typer.Option(
        False, "--upsert",
        help=_("Keep rules not in the file and update the named ones (default: the file "
             "replaces the whole rule set).")),
) -> None:
    state: CliState = ctx.obj
    report = rule_files.load_rules(state.desk(), state.actor(), path, upsert=upsert)
    if state.json:
        print_json(report)
        return
    if report.mode == "replace":
        say(console, _("routing rules replaced from {file}: {rules} rules ({removed} removed), "
                       "{categories} category skill sets").format(
            file=path, rules=report.rules, removed=report.removed,
            categories=report.categories))
    else:
        say(console, _("routing rules updated from {file}: {rules} rules added or changed, "
                       "{categories} category skill sets").format(
            file=path, rules=report.rules, categories=report.categories))


@app.command("list", help=_("List the routing rules in the order they are tried."))
def rules_list(ctx: typer.Context) -> None:
    state: CliState = ctx.obj
    _print_rules(state, rule_files.list_rules(state.desk()))


@app.command("test", help=_(
    "Which rule would route a case like this and why, and why the others would not. "
    "Creates nothing."
))
def rules_test(
    ctx: typer.Context,
    subject: str = typer.Option("", "--subject", help=_("The new case's title.")),
    description: str = typer.Option("", "--description", help=_("The new case's description.")),
    channel: str | None = typer.Option(None, "--channel",
                                       parser=params.choice("--channel", Channel)),
    tier: str | None = typer.Option(None, "--tier", help=_("The customer's tier."),
                                    parser=params.choice("--tier", Tier)),
    area: str = typer.Option("general", "--area", parser=params.choice("--area", Area)),
    priority: str = typer.Option("medium", "--priority",
                                 parser=params.choice("--priority", Priority)),
    severity: str = typer.Option("minor", "--severity",
                                 parser=params.choice("--severity", Severity)),
    product: str | None = typer.Option(None, "--product",
                                       help=_("Products the customer holds (comma-separated).")),
    contract: str | None = typer.Option(None, "--contract",
                                        help=_("The case's contract (number or name).")),
    json_: bool = typer.Option(False, "--json", help=_("Print the verdicts as JSON.")),
) -> None:
    state: CliState = ctx.obj
    new = NewCase(
        title=subject, description=description, area=area, priority=priority,
        severity=severity, channel=channel, tier=tier,
        products=frozenset(params.comma_list(product)),
        contracts=frozenset([contract.strip()] if contract and contract.strip() else []),
    )
    lines = rule_files.try_rules(state.desk(), new)
    if json_ or state.json:
        print_json(lines)
        return
    if not lines:
        say(console, _("no routing rules: the case would stay where it is created"))
        return
    winner = next((t for t in lines if t.routes), None)
    for t in lines:
        mark = "→" if t.routes else ("·" if t.matched else "✗")
        tail = " " + _("(matches, but an earlier rule routes first)") \
            if t.matched and not t.routes else ""
        say(console, f"{mark} {t.line}{tail}")
    if winner is None:
        say(console, _("no rule matches: the case would stay where it is created (the given "
                       "queue, or the creator's bin)"))
    else:
        say(console, _("routes to queue {queue} by rule {position} {name}").format(
            queue=winner.queue, position=winner.position, name=repr(winner.name)))


def _set_active(ctx: typer.Context, name: str, active: bool) -> None:
    state: CliState = ctx.obj
    rules = rule_files.set_active(state.desk(), state.actor(), name, active)
    if state.json:
        print_json(rules)
    else:
        words = N_("rule {name} enabled") if active else N_("rule {name} disabled")
        say(console, _(words).format(name=repr(name)))


@app.command("enable", help=_("Enable a rule (supervisors)."))
def rules_enable(ctx: typer.Context, name: str = NAME) -> None:
    _set_active(ctx, name, True)


@app.command(
    "disable", help=_("Disable a rule: it stays in the list but routes nothing (supervisors)."),
)
def rules_disable(ctx: typer.Context, name: str = NAME) -> None:
    _set_active(ctx, name, False)


@app.command("move", help=_("Move a rule to another place in the order (supervisors)."))
def rules_move(
    ctx: typer.Context,
    name: str = NAME,
    to: int = typer.Option(..., "--to", metavar="POSITION",
                           help=_("Its new place: 1 is tried first."),
                           parser=params.integer("--to", 1, 1_000_000)),
) -> None:
    state: CliState = ctx.obj
    rules = rule_files.move_rule(state.desk(), state.actor(), name, to)
    if state.json:
        print_json(rules)
        return
    moved = next(r for r in rules if r.name == name)
    say(console, _("rule {name} is now rule {position} of {count}").format(
        name=repr(name), position=moved.position, count=len(rules)))
