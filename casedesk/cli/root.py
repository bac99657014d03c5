"""The root typer application: global flags, error handling and the sub-commands.

The sub-commands are a table (:data:`COMMANDS`) of ``(name, "module:attribute")`` lines; a
command's module is imported only when that command runs (or a help page lists them), so
``casedesk case show`` never loads the import, export, knowledge or SLA tools — nor the
database libraries a command that does not need them would pay for.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer
from typer import _click  # the click typer vendors (its Context is the one it passes)
from typer.core import TyperGroup

from casedesk.cli import library_words
from casedesk.cli.params import argv_problem, usage_line
from casedesk.cli.state import CliState, err_console
from casedesk.errors import CaseDeskError
from casedesk.i18n import _

#: Every command and command group, ``(name, "module:attribute")``: a ``typer.Typer`` (a
#: group) or a function (one command). ONE line per command; its module loads on first use.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("db", "casedesk.cli.db:app"),
    ("demo", "casedesk.cli.demo:demo"),
    ("agent", "casedesk.cli.agent:agent_app"),
    ("queue", "casedesk.cli.queue:queue_app"),
    ("team", "casedesk.cli.team:team_app"),
    ("case", "casedesk.cli.case:app"),
    ("time", "casedesk.cli.case:time_app"),
    ("contract", "casedesk.cli.contract:app"),
    ("customer", "casedesk.cli.customer:app"),
    ("sla", "casedesk.cli.sla:app"),
    ("task", "casedesk.cli.task:app"),
    ("template", "casedesk.cli.template:app"),
    ("kb", "casedesk.cli.kb:app"),
    ("rules", "casedesk.cli.rules:app"),
    ("import", "casedesk.cli.imports:import_command"),
    ("export", "casedesk.cli.export:export_command"),
    ("worker", "casedesk.cli.worker:worker"),
    ("batch", "casedesk.cli.batch:batch"),
    ("report", "casedesk.cli.report:report_command"),
    ("web", "casedesk.cli.web:web"),
    ("mail", "casedesk.cli.mail:app"),
)

library_words.install()


def _is_usage_error(exc: BaseException) -> bool:
    """A click usage error (bad flag, missing argument, bad choice), except the "no
    arguments: show the help" one, which prints the help as it should."""
    return (
        isinstance(exc, typer.TyperException)
        and hasattr(exc, "format_message")
        and type(exc).__name__ != "NoArgsIsHelpError"
    )


def _is_database_error(exc: BaseException) -> bool:
    """A SQLAlchemy DBAPI error — checked without importing SQLAlchemy: a command that never
    loaded it cannot have raised one."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.DBAPIError)


def expected_failure(exc: BaseException) -> tuple[str, int] | None:
    """``("casedesk: …", code)`` for an error the program expects, None for a bug."""
    if isinstance(exc, CaseDeskError) or _is_database_error(exc):
        from casedesk.failures import failure_line

        return failure_line(exc) or (f"casedesk: {exc}", 1)
    return None


class CaseDeskGroup(TyperGroup):
    """Turns every casedesk error into one line on stderr and a meaningful exit code.

    Usage errors too: click's own report (usage, a hint, a boxed message) becomes one
    line, ``casedesk: Invalid value for '--status': … (see `casedesk case list --help`)``,
    exit 2. Arguments that cannot be text (a lone surrogate, a NUL) are refused first.
    The sub-commands of :data:`COMMANDS` are built when first asked for.
    """

    def main(self, args: Any = None, *rest: Any, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        problem = argv_problem(argv)
        if problem is not None:
            err_console.print(problem, markup=False)
            sys.exit(2)
        return super().main(argv, *rest, **extra)

    def list_commands(self, ctx: _click.Context) -> list[str]:
        names = [name for name, _ in COMMANDS]
        return names + [name for name in self.commands if name not in names]

    def get_command(self, ctx: _click.Context, cmd_name: str) -> _click.Command | None:
        command = self.commands.get(cmd_name)
        if command is None:
            target = dict(COMMANDS).get(cmd_name)
            if target is None:
                return None
            command = _load(cmd_name, target)
            self.commands[cmd_name] = command
        add_global_flags(command)
        return command

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
        except Exception as exc:
            failure = expected_failure(exc)
            if failure is not None:
                err_console.print(failure[0], markup=False)
                raise typer.Exit(failure[1]) from None
            if not _is_usage_error(exc):
                raise
            err_console.print(usage_line(exc), markup=False)
            raise typer.Exit(2) from None
        finally:
            state = ctx.obj
            if isinstance(state, CliState) and ctx.parent is None:
                state.close()


def _load(name: str, target: str) -> _click.Command:
    """The click command for a :data:`COMMANDS` line: a Typer app becomes a group, a
    function one command, as ``app.add_typer`` / ``app.command`` would make them."""
    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import CommandInfo, TyperInfo

    module_name, _colon, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute)
    if isinstance(value, typer.Typer):
        return get_group_from_info(
            TyperInfo(value, name=name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )
    return get_command_from_info(
        # a function command's help is its module's HELP (translated; a docstring is not)
        CommandInfo(name=name, callback=value, help=getattr(module, "HELP", None)),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


# --- the global flags, after the sub-command too -------------------------------------


def _state(ctx: _click.Context) -> CliState | None:
    state = ctx.find_object(CliState)
    return state if isinstance(state, CliState) else None


def _set_json(ctx: typer.Context, value: bool) -> None:
    state = _state(ctx)
    if value and state is not None:
        state.json = True


def _set_db(ctx: typer.Context, value: str | None) -> None:
    state = _state(ctx)
    if value is not None and state is not None:
        state.set_flags(db=value)


def _set_as(ctx: typer.Context, value: str | None) -> None:
    state = _state(ctx)
    if value is not None and state is not None:
        state.set_flags(as_=value)


def _trailing_flags(
    json_: bool = typer.Option(
        False, "--json", callback=_set_json,
        help=_("Print JSON for scripts (also before the command)."),
    ),
    db: str | None = typer.Option(None, "--db", metavar="URL", hidden=True, callback=_set_db),
    as_: str | None = typer.Option(None, "--as", metavar="LOGIN", hidden=True, callback=_set_as),
) -> None:
    """Never run: its options are the global flags every command also takes after its name."""


_GLOBAL_PARAMS: list[_click.Parameter] | None = None


def _global_params() -> list[_click.Parameter]:
    global _GLOBAL_PARAMS
    if _GLOBAL_PARAMS is None:
        from typer.main import get_command_from_info
        from typer.models import CommandInfo

        holder = get_command_from_info(
            CommandInfo(name="flags", callback=_trailing_flags),
            pretty_exceptions_short=True,
            rich_markup_mode=app.rich_markup_mode,
        )
        _GLOBAL_PARAMS = [p for p in holder.params if p.name != "help"]
        for param in _GLOBAL_PARAMS:
            param.expose_value = False  # the callback puts it on the CliState
    return _GLOBAL_PARAMS


def add_global_flags(command: _click.Command) -> None:
    """Give every command under ``command`` the global flags (``--json``, ``--db``,
    ``--as``) it does not have itself, so ``casedesk agent list --json`` works like
    ``casedesk --json agent list``. A command with its own ``--json`` keeps it (they
    mean the same)."""
    if getattr(command, "_casedesk_flags", False):
        return
    setattr(command, "_casedesk_flags", True)  # noqa: B010 - click commands have no slot
    children = getattr(command, "commands", None)
    if isinstance(children, dict):
        for child in children.values():
            add_global_flags(child)
        return
    taken = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for param in _global_params():
        if not taken.intersection(getattr(param, "opts", [])):
            command.params.append(param)


app = typer.Typer(
    cls=CaseDeskGroup,
    help=_("casedesk — call-centre case management at the terminal.\n\n"
    "The global flags --json, --db and --as may also follow the command "
    "(`casedesk agent list --json`)."),
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
        None, "--db", metavar="URL", help=_("Database URL (overrides CASEDESK_DATABASE_URL).")
    ),
    as_: str | None = typer.Option(
        None, "--as", metavar="LOGIN", help=_("Act as this agent (overrides CASEDESK_AGENT).")
    ),
    json_: bool = typer.Option(False, "--json", help=_("Print JSON for scripts.")),
    lang: str | None = typer.Option(
        None, "--lang", metavar="CODE",
        help=_("Language: en or es (overrides CASEDESK_LANG, the config file and the locale)."),
    ),
) -> None:
    """With no command, open the agent workstation (the app's help is the Typer's)."""
    if lang is not None:
        from casedesk.cli import start_language

        start_language(lang)
    if not isinstance(ctx.obj, CliState):
        ctx.obj = CliState()
    ctx.obj.set_flags(db=db, as_=as_)
    ctx.obj.json = json_ or ctx.obj.json
    if ctx.invoked_subcommand is None:
        from casedesk.cli.workstation import launch

        launch(ctx.obj)
