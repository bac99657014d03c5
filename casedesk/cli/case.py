"""``casedesk case …``: create, show, list and every workflow operation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from rich.table import Table
from typer._click.exceptions import UsageError  # the vendored click: a one-line usage error

from casedesk.cli import params
from casedesk.cli.contract import day
from casedesk.cli.format import case_panel, cases_table, say, timeline_table, when
from casedesk.cli.format import day as show_day
from casedesk.cli.quote import quote
from casedesk.cli.state import CliState, console, print_json
from casedesk.i18n import N_, _, ngettext
from casedesk.labels import label
from casedesk.models.base import Area, Priority, Severity, Status
from casedesk.plain import cell
from casedesk.services.contracts import entitlements
from casedesk.services.contracts.views import LineStatus
from casedesk.services.queries import reads
from casedesk.services.queries.views import CaseDetail, CaseTime
from casedesk.services.workflow import timelog, transitions

# ``workflow.cases`` and ``templates`` (with routing and the data-file readers) load in the
# commands that use them: ``case show`` and ``case accept`` start faster without them.

app = typer.Typer(
    help=_("Cases: create, show, list, and move them through their life."), no_args_is_help=True
)

NUMBER = typer.Argument(
    ..., metavar="CASE", help=_("Case number, e.g. CS-000123 or 123."), parser=params.case_number
)
VERSION = typer.Option(
    None, "--version", help=_("Fail if the case changed since."),
    parser=params.integer("--version", 0, params.MAX_ID),
)


def _done(state: CliState, case: CaseDetail, message: str) -> None:
    if state.json:
        print_json(case)
    else:
        say(console, case.label, ": ", message)


@app.command("create", help=_(
    "Open a case, from scratch or from a --template (`case new` does the same).\n"
    "\n"
    "With --contact, the customer's contract line in force is proposed and what it "
    "still allows is printed before the case is saved; an exhausted or expired line "
    "never stops the case: it is recorded on it for billing."
))
def create(
    ctx: typer.Context,
    title: str | None = typer.Option(
        None, "--title", "-t", help=_("Required, unless a template gives one.")
    ),
    description: str | None = typer.Option(None, "--description", "-d"),
    template: str | None = typer.Option(
        None, "--template", help=_("Fill it in from this template and add its playbook's tasks.")
    ),
    queue: str | None = typer.Option(
        None, "--queue", "-q",
        help=_("Queue to put it in (default: the template's, or your WIP bin).")
    ),
    priority: str | None = typer.Option(
        None, "--priority", "-p", help=_("high, medium or low (default: medium)."),
        parser=params.choice("--priority", Priority),
    ),
    severity: str | None = typer.Option(
        None, "--severity", "-s", help=_("critical, major or minor (default: minor)."),
        parser=params.choice("--severity", Severity),
    ),
    area: str | None = typer.Option(
        None, "--area", help=_("technical, billing, commercial or general (default: general)."),
        parser=params.choice("--area", Area),
    ),
    contact: int | None = typer.Option(
        None, "--contact", help=_("Contact id."), parser=params.record_id("--contact")
    ),
    parent: str | None = typer.Option(
        None, "--parent", help=_("Parent (major) case number."), parser=params.case_number
    ),
    interaction: int | None = typer.Option(
        None, "--interaction", help=_("Open it from this interaction id."),
        parser=params.record_id("--interaction"),
    ),
    contract_line: int | None = typer.Option(
        None, "--contract-line", help=_("Count it against this contract line (default: the "
        "customer's line in force, as proposed)."), parser=params.record_id("--contract-line"),
    ),
    no_contract_line: bool = typer.Option(
        False, "--no-contract-line", help=_("Count it against no contract line.")
    ),
) -> None:
    from casedesk.services.workflow import cases as case_service
    from casedesk.services.workflow import templates

    state: CliState = ctx.obj
    if contract_line is not None and no_contract_line:
        raise UsageError(_("give --contract-line or --no-contract-line, not both"), ctx=ctx)
    entitlement = _entitlement_before(state, contact, contract_line, no_contract_line)
    common: dict[str, Any] = {
        "queue": queue,
        "contact_id": contact,
        "parent": parent,
        "from_interaction": interaction,
        "contract_line_id": entitlement.id if entitlement is not None else None,
    }
    if template is not None:
        case = templates.create_from_template(
            state.desk(), state.actor(), template, title=title, description=description,
            priority=priority, severity=severity, area=area, **common,
        )
    else:
        if not title or not title.strip():
            raise UsageError(_("give the case a --title (or a --template)"), ctx=ctx)
        case = case_service.create_case(
            state.desk(),
            state.actor(),
            title=title,
            description=description or "",
            priority=priority or "medium",
            severity=severity or "minor",
            area=area or "general",
            **common,
        )
    if state.json:
        print_json({**case.to_json(),
                    "entitlement": entitlement.to_json() if entitlement else None})
        return
    if case.queue and not case.owner:
        _done(state, case, _("created in queue {queue}").format(queue=case.queue))
    else:
        _done(state, case, _("created in your WIP bin"))


def _entitlement_before(state: CliState, contact: int | None, line: int | None,
                        none: bool) -> LineStatus | None:
    """The contract line the new case will count against (given, or proposed for the
    contact), said before the case is saved; None for no line."""
    if none or (line is None and contact is None):
        return None
    desk, actor = state.desk(), state.actor()
    if line is not None:
        chosen: LineStatus | None = entitlements.describe_line(desk, line, actor.id)
        words = chosen.words if chosen is not None else ""
    else:
        proposal = entitlements.propose(desk, contact, actor.id)
        chosen, words = proposal.proposed, proposal.words
    if not state.json and words:
        say(console, words)
    return chosen


app.command("new", hidden=True)(create)
app.command("quote", help=_(
    "Attach a quote to a case (the customer approves or declines it in the portal), or "
    "list its quotes."))(quote)


@app.command("edit", help=_(
    "Edit a case: title, description, category, priority, severity, customer, "
    "contract line.\n"
    "\n"
    "Its owner, a member of its queue or a supervisor may; with --version, only if "
    "nobody changed it since."
))
def edit(
    ctx: typer.Context,
    number: str = NUMBER,
    title: str | None = typer.Option(None, "--title", "-t", help=_("A new title.")),
    description: str | None = typer.Option(None, "--description", "-d"),
    area: str | None = typer.Option(
        None, "--area", help=_("technical, billing, commercial or general."),
        parser=params.choice("--area", Area),
    ),
    priority: str | None = typer.Option(
        None, "--priority", "-p", help=_("high, medium or low (re-evaluates the SLA policy)."),
        parser=params.choice("--priority", Priority),
    ),
    severity: str | None = typer.Option(
        None, "--severity", "-s", help=_("critical, major or minor."),
        parser=params.choice("--severity", Severity),
    ),
    contact: int | None = typer.Option(
        None, "--contact",
        help=_("The customer: a contact id."), parser=params.record_id("--contact")
    ),
    contract_line: int | None = typer.Option(
        None, "--contract-line", help=_("A contract line id of the customer's account."),
        parser=params.record_id("--contract-line"),
    ),
    version: int | None = typer.Option(
        None, "--version", help=_("Refuse the edit if the case changed since this version."),
        parser=params.integer("--version", 1, 2**31 - 1),
    ),
) -> None:
    from casedesk.services.workflow import cases as case_service

    state: CliState = ctx.obj
    given = {
        "title": title,
        "description": description,
        "area": area,
        "priority": priority,
        "severity": severity,
        "contact_id": contact,
        "contract_line_id": contract_line,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if not changes:
        raise UsageError(
            _("say what to change: --title, --description, --area, --priority, --severity, "
              "--contact or --contract-line"),
            ctx=ctx,
        )
    desk = state.desk()
    if version is None:
        version = reads.get_case(desk, number).version
    case = case_service.update_case(desk, state.actor(), number, version=version, **changes)
    _done(state, case, _("edited (version {version})").format(version=case.version))


@app.command("show", help=_("Show a case and its timeline."))
def show(
    ctx: typer.Context,
    number: str = NUMBER,
    history: bool = typer.Option(True, "--history/--no-history"),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    case = reads.get_case(desk, number)
    entries = reads.timeline(desk, number) if history else []
    if state.json:
        print_json({**case.to_json(), "timeline": [e.to_json() for e in entries]})
        return
    console.print(case_panel(case))
    if entries:
        console.print(timeline_table(entries))


@app.command(
    "list",
    help=_("List cases: a queue's inbox, my bin, a search, or everything most urgent first."),
)
def list_(
    ctx: typer.Context,
    queue: str | None = typer.Option(None, "--queue", "-q", help=_("A queue's waiting cases.")),
    mine: bool = typer.Option(False, "--mine", help=_("My WIP bin.")),
    status: str | None = typer.Option(
        None, "--status", help=_("Only this status: {codes}.").format(codes=", ".join(Status)),
        parser=params.choice("--status", Status),
    ),
    search: str | None = typer.Option(
        None, "--search", help=_("Number, title or customer."), parser=params.search_text
    ),
    limit: int = typer.Option(
        50, "--limit", help=_("At most this many (1 to 10,000)."),
        parser=params.integer("--limit", 1, 10_000),
    ),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    if search:
        rows = reads.search_cases(desk, search, limit=limit)
        # repr: quotes, escapes; cells show it literally
        title = _("search {words} ({count})").format(words=repr(search), count=len(rows))
    elif queue:
        rows = reads.inbox(desk, queue, limit=limit, status=status).rows
        title = _("queue {queue} ({count})").format(queue=queue, count=len(rows))
    elif mine:
        rows = reads.wip_bin(desk, state.actor().id, limit=limit)
        title = _("my WIP bin ({count})").format(count=len(rows))
    else:
        rows = reads.list_cases(desk, status=status, limit=limit)
        title = _("cases ({count})").format(count=len(rows))
    if state.json:
        print_json(rows)
    else:
        console.print(cases_table(rows, title=title))


def _simple(name: str, fn: Callable[..., CaseDetail], message: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        number: str = NUMBER,
        version: int | None = VERSION,
    ) -> None:
        state: CliState = ctx.obj
        case = fn(state.desk(), state.actor(), number, version=version)
        _done(state, case, _(message).format(queue=case.queue))

    command.__doc__ = doc
    app.command(name, help=_(doc))(command)


_simple(
    "accept",
    transitions.accept,
    N_("accepted into your WIP bin"),
    N_("Take a case from its queue into your WIP bin."),
)
_simple("start", transitions.start, N_("in progress"), N_("new → in_progress."))
_simple(
    "yank",
    transitions.yank,
    N_("yanked back to queue {queue}"),
    N_("Supervisors: pull a case from an agent's bin back to its home queue."),
)
_simple("close", transitions.close, N_("closed"),
        N_("resolved → closed (the customer confirmed)."))


@app.command("next", help=_("Take the most urgent waiting case of a queue."))
def next_(ctx: typer.Context, queue: str = typer.Argument(..., help=_("Queue name."))) -> None:
    state: CliState = ctx.obj
    case = transitions.next_case(state.desk(), state.actor(), queue)
    # say(): literal, never raises
    _done(state, case, _("taken from {queue}: {title}").format(queue=queue, title=case.title))


@app.command("dispatch", help=_("Send a case from your bin to a queue."))
def dispatch(
    ctx: typer.Context,
    number: str = NUMBER,
    queue: str | None = typer.Option(
        None, "--queue", "-q", help=_("Target queue (default: home queue).")
    ),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    state: CliState = ctx.obj
    case = transitions.dispatch(state.desk(), state.actor(), number, queue, note=note)
    _done(state, case, _("dispatched to {queue}").format(queue=case.queue))


@app.command("reject", help=_("Send a queued case back to its creator's bin, with a reason."))
def reject(
    ctx: typer.Context, number: str = NUMBER, reason: str = typer.Option(..., "--reason", "-r")
) -> None:
    state: CliState = ctx.obj
    case = transitions.reject(state.desk(), state.actor(), number, reason)
    _done(state, case, _("rejected back to {agent}").format(agent=case.owner_name))


@app.command("transfer", help=_("Move a queued case to another queue."))
def transfer(
    ctx: typer.Context,
    number: str = NUMBER,
    queue: str = typer.Option(..., "--queue", "-q", help=_("Target queue.")),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    state: CliState = ctx.obj
    case = transitions.transfer(state.desk(), state.actor(), number, queue, note=note)
    _done(state, case, _("transferred to {queue}").format(queue=case.queue))


@app.command("assign", help=_("Supervisors: put a case into a named agent's bin."))
def assign(
    ctx: typer.Context,
    number: str = NUMBER,
    agent: str = typer.Option(..., "--to", help=_("Login of the agent.")),
) -> None:
    state: CliState = ctx.obj
    case = transitions.assign(state.desk(), state.actor(), number, agent)
    _done(state, case, _("assigned to {agent}").format(agent=case.owner_name))


@app.command("wait", help=_("Wait for the customer (the resolution clock pauses)."))
def wait(
    ctx: typer.Context, number: str = NUMBER, note: str | None = typer.Option(None, "--note")
) -> None:
    state: CliState = ctx.obj
    _done(
        state,
        transitions.wait(state.desk(), state.actor(), number, note=note),
        _("awaiting customer (SLA paused)"),
    )


@app.command("resume", help=_("Resume work after the customer answered."))
def resume(
    ctx: typer.Context, number: str = NUMBER, note: str | None = typer.Option(None, "--note")
) -> None:
    state: CliState = ctx.obj
    _done(state, transitions.resume(state.desk(), state.actor(), number, note=note),
          _("in progress"))


@app.command("resolve", help=_("Resolve a case with a resolution type and notes."))
def resolve(
    ctx: typer.Context,
    number: str = NUMBER,
    type_: str = typer.Option(..., "--type", help=_("solved, workaround, information …")),
    notes: str = typer.Option(..., "--notes", help=_("What was done.")),
    children: bool = typer.Option(False, "--children", help=_("Resolve its open child cases too.")),
) -> None:
    state: CliState = ctx.obj
    case = transitions.resolve(
        state.desk(), state.actor(), number, type_, notes, resolve_children=children
    )
    _done(state, case, _("resolved"))


@app.command("reopen", help=_("Reopen a resolved or closed case."))
def reopen(
    ctx: typer.Context, number: str = NUMBER, note: str | None = typer.Option(None, "--note")
) -> None:
    state: CliState = ctx.obj
    _done(state, transitions.reopen(state.desk(), state.actor(), number, note=note),
          _("reopened"))


@app.command("cancel", help=_("Cancel an open case (duplicate, withdrawn)."))
def cancel(
    ctx: typer.Context, number: str = NUMBER, reason: str = typer.Option(..., "--reason", "-r")
) -> None:
    state: CliState = ctx.obj
    _done(state, transitions.cancel(state.desk(), state.actor(), number, reason),
          _("cancelled"))


@app.command("note", help=_("Add an internal note."))
def note(
    ctx: typer.Context, number: str = NUMBER, text: str = typer.Argument(..., help=_("The note."))
) -> None:
    from casedesk.services.workflow import cases as case_service

    state: CliState = ctx.obj
    _done(state, case_service.add_note(state.desk(), state.actor(), number, text),
          _("note added"))


@app.command("time", help=_(
    "A case's time, including its child cases; --add logs minutes of work on it "
    "first (they count against the case's minutes contract line)."
))
def time_(
    ctx: typer.Context,
    number: str = NUMBER,
    add: int | None = typer.Option(
        None, "--add", metavar="MINUTES", help=_("Log these minutes of work first (1 to 1440)."),
        parser=params.integer("--add", 1, timelog.MAX_MINUTES),
    ),
    note: str | None = typer.Option(None, "--note", help=_("What was done (with --add).")),
    by_agent: bool = typer.Option(False, "--by-agent", help=_("Show who logged the time.")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    if note is not None and add is None:
        raise UsageError(_("--note goes with --add MINUTES"), ctx=ctx)
    logged = None
    if add is not None:
        logged = timelog.add_time(desk, state.actor(), number, add, note)
    total = timelog.case_time(desk, number)
    if state.json:
        used = logged.entitlement.to_json() if logged and logged.entitlement else None
        print_json({**total.to_json(), "entitlement": used})
        return
    if logged is not None:
        say(console, total.case, ": ", _("{minutes} min logged").format(minutes=add))
        if logged.entitlement is not None:
            say(console, logged.entitlement.line.words)
    _print_time(total, by_agent)


def _print_time(total: CaseTime, by_agent: bool) -> None:
    if total.children:
        say(console, total.case, ": ", ngettext(
            "{total} min in all — {own} on the case itself and {children} on its "
            "{count} child case ({numbers}).",
            "{total} min in all — {own} on the case itself and {children} on its "
            "{count} child cases ({numbers}).", len(total.children)).format(
            total=total.total_minutes, own=total.own_minutes,
            children=total.children_minutes, count=len(total.children),
            numbers=", ".join(total.children)))
    else:
        say(console, total.case, ": ",
            _("{total} min in all.").format(total=total.total_minutes))
    if total.by_kind:
        say(console, _("By kind: {kinds}").format(kinds=", ".join(
            _("{kind} {minutes} min").format(kind=label("time_kind", kind), minutes=minutes)
            for kind, minutes in sorted(total.by_kind.items()))))
    if by_agent:
        table = Table(title=_("by agent (with child cases)"))
        table.add_column(_("agent"))
        table.add_column(_("name"))
        table.add_column(_("minutes"), justify="right")
        for a in total.by_agent:
            table.add_row(cell(a.login), cell(a.name), str(a.minutes))
        console.print(table)
    elif total.entries:
        table = Table(title=_("entries on the case itself"))
        for name in (N_("at"), N_("agent"), N_("minutes"), N_("kind"), N_("note")):
            table.add_column(_(name), no_wrap=name != "note")
        for e in total.entries:
            table.add_row(when(e.at), cell(e.agent), str(e.minutes), label("time_kind", e.kind),
                          cell(e.note or "—"))
        console.print(table)


time_app = typer.Typer(help=_("Time logged by agents."), no_args_is_help=True)


@time_app.command("day", help=_("Each agent's time on one day of their own time zone, by kind."))
def time_day(
    ctx: typer.Context,
    agent: str | None = typer.Option(None, "--agent", help=_("Only this agent (login).")),
    on: Any = typer.Option(None, "--date", help=_("The day, YYYY-MM-DD (default: today)."),
                           parser=day("--date")),
) -> None:
    state: CliState = ctx.obj
    desk = state.desk()
    if on is None:
        actor = state.optional_actor()
        on = timelog.today_of(desk, actor.id) if actor else desk.now().date()
    days = timelog.time_per_day(desk, on, agent=agent)
    if state.json:
        print_json(days)
        return
    table = Table(title=ngettext("time on {day} ({count} agent)", "time on {day} ({count} agents)",
                                 len(days)).format(day=show_day(on), count=len(days)))
    for name in (N_("agent"), N_("name"), N_("zone"), N_("minutes"), N_("work"), N_("handle"),
                 N_("after call")):
        table.add_column(_(name), justify="right" if name in ("minutes", "work", "handle",
                                                               "after call") else "left")
    for d in days:
        table.add_row(cell(d.login), cell(d.name), cell(d.zone), str(d.minutes),
                      *(str(d.by_kind.get(k, 0)) for k in ("work", "handle", "after_call")))
    console.print(table)
    if agent is not None and days and days[0].entries:
        entries = Table(title=cell(_("entries of {agent}").format(agent=agent)))
        for name in (N_("at"), N_("case"), N_("minutes"), N_("kind"), N_("note")):
            entries.add_column(_(name), no_wrap=name != "note")
        for e in days[0].entries:
            entries.add_row(when(e.at), cell(e.case), str(e.minutes), label("time_kind", e.kind),
                            cell(e.note or "—"))
        console.print(entries)
