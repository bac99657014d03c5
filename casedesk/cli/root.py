"""The root typer application: global flags, error handling and the sub-commands."""

from __future__ import annotations

import sys
from typing import Any

import typer
from sqlalchemy.exc import DBAPIError
from typer import _click  # the click typer vendors (its Context is the one it passes)
from typer.core import TyperGroup

from casedesk.cli.params import argv_problem, usage_line
from casedesk.cli.state import CliState, err_console
from casedesk.errors import CaseDeskError
from casedesk.failures import failure_line


def _is_usage_error(exc: BaseException) -> bool:
    """A click usage error (bad flag, missing argument, bad choice), except the "no
    arguments: show the help" one, which prints the help as it should."""
    return (
        isinstance(exc, typer.TyperException)
        and hasattr(exc, "format_message")
        and type(exc).__name__ != "NoArgsIsHelpError"
    )


class CaseDeskGroup(TyperGroup):
    """Turns every casedesk error into one line on stderr and a meaningful exit code.

    Usage errors too: click's own report (usage, a hint, a boxed message) becomes one
    line, ``casedesk: Invalid value for '--status': … (see `casedesk case list --help`)``,
    exit 2. Arguments that cannot be text (a lone surrogate, a NUL) are refused first.
    """

    def main(self, args: Any = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        problem = argv_problem(argv)
        if problem is not None:
            err_console.print(problem, markup=False)
            sys.exit(2)
        return super().main(argv, *rest, **extra)

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().make_context(*args, **kwargs)
        except Exception as exc:
            if not _is_usage_error(exc):
                raise
            err_console.print(usage_line(exc), markup=False)
            raise typer.Exit(2) from None

    def invoke(self, ctx: _click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (CaseDeskError, DBAPIError) as exc:
            line, code = failure_line(exc) or (f"casedesk: {exc}", 1)
            err_console.print(line, markup=False)
            raise typer.Exit(code) from None
        except Exception as exc:
            if not _is_usage_error(exc):
                raise
            err_console.print(usage_line(exc), markup=False)
            raise typer.Exit(2) from None
        finally:
            state = ctx.obj
            if isinstance(state, CliState) and ctx.parent is None:
                state.close()


app = typer.Typer(
    cls=CaseDeskGroup,
    help="casedesk — call-centre case management at the terminal.",
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None, "--db", metavar="URL", help="Database URL (overrides CASEDESK_DATABASE_URL)."
    ),
    as_: str | None = typer.Option(
        None, "--as", metavar="LOGIN", help="Act as this agent (overrides CASEDESK_AGENT)."
    ),
    json_: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """With no command, open the agent workstation."""
    if not isinstance(ctx.obj, CliState):
        ctx.obj = CliState()
    ctx.obj.db_flag = db if db is not None else ctx.obj.db_flag
    ctx.obj.as_flag = as_ if as_ is not None else ctx.obj.as_flag
    ctx.obj.json = json_ or ctx.obj.json
    if ctx.invoked_subcommand is None:
        from casedesk.cli.workstation import launch

        launch(ctx.obj)


def register() -> None:
    from casedesk.cli import (
        agent,
        case,
        db,
        demo,
        export,
        imports,
        kb,
        queue,
        rules,
        sla,
        task,
        team,
        template,
        worker,
    )

    app.add_typer(db.app, name="db")
    app.command("demo")(demo.demo)
    app.add_typer(agent.agent_app, name="agent")
    app.add_typer(queue.queue_app, name="queue")
    app.add_typer(team.team_app, name="team")
    app.add_typer(case.app, name="case")
    app.add_typer(sla.app, name="sla")
    app.add_typer(task.app, name="task")
    app.add_typer(template.app, name="template")
    app.add_typer(kb.app, name="kb")
    app.add_typer(rules.app, name="rules")
    app.command("import")(imports.import_command)
    app.command("export")(export.export_command)
    app.command("worker")(worker.worker)
    from casedesk.cli.report import report_command  # issue 14: reports

    app.command("report")(report_command)


register()
