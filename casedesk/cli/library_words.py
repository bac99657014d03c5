"""typer's and click's own words ("Usage:", "Options", "Missing argument …") in the reader's
language.

typer translates a few of its words through the standard library's ``gettext``
(:func:`casedesk.i18n.set_language` points it at our catalogue): they are listed below as
``N_(…)`` with typer's exact text so that they are extracted into the catalogue. The click
typer vendors (``typer._click``) writes the rest as plain English f-strings, which no
catalogue can reach: :func:`install` gives its usage line and its help option our words,
and :func:`usage_message` says its usage errors again, in our words, from the exception's
fields (anything it does not know keeps click's English).
"""

from __future__ import annotations

import re
from typing import Any

from casedesk.i18n import N_, _

#: typer's own words, translated by the standard library's gettext (typer/core.py and
#: typer/rich_utils.py, typer 0.29): extracted from here, never called from here.
TYPER_WORDS = (
    N_("(deprecated) "),
    N_("(dynamic)"),
    N_("Aborted!"),
    N_("Aborted."),
    N_("Arguments"),
    N_("Commands"),
    N_("Error"),
    N_("Missing command."),
    N_("No such command {name!r}."),
    N_("Options"),
    N_("Try [blue]'{command_path} {help_option}'[/] for help."),
    N_("[default: {}]"),
    N_("[env var: {}]"),
    N_("[required]"),
    N_("default: {default}"),
    N_("env var: {var}"),
    N_("required"),
)

#: the vendored click's words, said by us
USAGE_PREFIX = N_("Usage: ")
HELP_OPTION = N_("Show this message and exit.")

#: click's plain-English messages (the whole message) and ours for them
_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.DOTALL), words) for pattern, words in (
        (r"Got unexpected extra argument\(s\) \((?P<args>.*)\)",
         N_("Got unexpected extra argument(s) ({args})")),
        (r"Option (?P<name>.+) requires an argument\.", N_("Option {name} requires an argument.")),
        (r"Option (?P<name>.+) requires (?P<count>\d+) arguments\.",
         N_("Option {name} requires {count} arguments.")),
        (r"Option (?P<name>.+) does not take a value\.",
         N_("Option {name} does not take a value.")),
        (r"Value (?P<value>.+) is not a valid (?P<kind>[\w ]+)\.",
         N_("Value {value} is not a valid {kind}.")),
        (r"(?:File|Directory|Path) (?P<path>.+) does not exist\.", N_("{path} does not exist.")),
        (r"(?:File|Directory|Path) (?P<path>.+) is a file\.", N_("{path} is a file.")),
        (r"(?:File|Directory|Path) (?P<path>.+) is a directory\.", N_("{path} is a directory.")),
        (r"(?:File|Directory|Path) (?P<path>.+) is not readable\.",
         N_("{path} is not readable.")),
        (r"(?:File|Directory|Path) (?P<path>.+) is not writable\.",
         N_("{path} is not writable.")),
        (r"Value must be an iterable\.", N_("Value must be an iterable.")),
    )
)


def _hint(exc: Any) -> str | None:
    """The parameter an error is about, as click names it (``'--status'``, ``'CASE'``)."""
    from typer._click.exceptions import _join_param_hints

    hint = getattr(exc, "param_hint", None)
    if hint is None and getattr(exc, "param", None) is not None:
        hint = exc.param.get_error_hint()
    return _join_param_hints(hint) if hint else None


def _said(message: str) -> str:
    """click's English ``message`` in our words, when it is one we know."""
    for pattern, words in _MESSAGES:
        match = pattern.fullmatch(message.strip())
        if match:
            return _(words).format(**match.groupdict())
    return message


def usage_message(exc: Any) -> str:
    """A click usage error's message (without the usage and the hint) in the reader's
    language."""
    from typer._click import exceptions as click_exceptions

    if isinstance(exc, click_exceptions.MissingParameter):
        name = _hint(exc) or ""
        kind = str(exc.param_type or getattr(exc.param, "param_type_name", "parameter"))
        words = {
            "argument": N_("Missing argument {name}."),
            "option": N_("Missing option {name}."),
        }.get(kind, N_("Missing parameter {name}."))
        message = _(words).format(name=name)
        return f"{message} {_said(exc.message)}" if exc.message else message
    if isinstance(exc, click_exceptions.BadParameter):
        hint = _hint(exc)
        said = _said(exc.message)
        if hint is None:
            return _("Invalid value: {message}").format(message=said)
        return _("Invalid value for {name}: {message}").format(name=hint, message=said)
    if isinstance(exc, click_exceptions.NoSuchOption):
        name = exc.option_name
        if exc.possibilities:
            return _("No such option: {name} (Possible options: {options})").format(
                name=name, options=", ".join(sorted(exc.possibilities)))
        return _("No such option: {name}").format(name=name)
    return _said(str(exc.message))


def install() -> None:
    """Give the vendored click's usage line and help option our words (idempotent)."""
    from typer._click import core, formatting

    if getattr(formatting.HelpFormatter, "_casedesk_words", False):
        return
    write_usage = formatting.HelpFormatter.write_usage
    get_help_option = core.Command.get_help_option

    def usage(self: formatting.HelpFormatter, prog: str, args: str = "",
              prefix: str | None = None) -> None:
        write_usage(self, prog, args, _(USAGE_PREFIX) if prefix is None else prefix)

    def help_option(self: core.Command, ctx: core.Context) -> Any:
        option = get_help_option(self, ctx)
        if option is not None:
            option.help = _(HELP_OPTION)
        return option

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    core.Command.get_help_option = help_option  # type: ignore[method-assign]
    formatting.HelpFormatter._casedesk_words = True  # type: ignore[attr-defined]
