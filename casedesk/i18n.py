"""Translations: English source strings, a Spanish gettext catalogue.

Every string a person reads is written in English in the code and goes through
:func:`_` (or :func:`ngettext` for counts, :func:`pgettext` where one English word has
two Spanish ones); a string that must exist before the language is known (a class-level
constant, a ``Binding``'s description) is marked with :func:`N_` and translated where it
is shown. The catalogue lives in ``casedesk/locale/es/LC_MESSAGES/casedesk.po``; Babel
extracts it (``make catalogues``) and compiles it to ``.mo`` as part of the install
(``make``). A checkout whose ``.mo`` is missing or older than its ``.po`` still speaks
Spanish: the ``.po`` is compiled in memory (slower to start, never wrong).

The language comes, in this order, from ``--lang``, ``CASEDESK_LANG``, the config file's
``language``, the environment's locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``,
``LANG``), else English. :func:`set_language` also points the standard library's
``gettext`` at the catalogue, so click's and typer's own words ("Usage:", "Options")
are translated too.

Placeholders are named (``_("case {number} is closed").format(number=...)``), never
f-strings (gettext cannot see those), and a value put into a translated string is data:
never Rich markup (build a ``Text`` around customer text instead).
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from collections.abc import Mapping
from pathlib import Path

DOMAIN = "casedesk"
LOCALE_DIR = Path(__file__).parent / "locale"
#: The languages the desk speaks, code → its own name (shown in the language switch).
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
ENV_LANG = "CASEDESK_LANG"
_LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_language = DEFAULT_LANGUAGE


def _(message: str) -> str:
    """``message`` in the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n`` in the current language."""
    return _translation.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the current language, told apart by ``context``."""
    return _translation.pgettext(context, message)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for the catalogue without translating it yet."""
    return message


def language() -> str:
    """The code of the language in use (``en``, ``es``)."""
    return _language


def babel_locale() -> str:
    """The locale Babel formats dates and numbers for (``es_ES``, ``en_GB``)."""
    return {"es": "es_ES", "en": "en_GB"}[_language]


def normalize(value: str) -> str | None:
    """``es`` for ``es``, ``es_ES.UTF-8``, ``ES-mx``; None for ``C``, ``POSIX`` or one the
    desk does not speak."""
    code = value.strip().split(":")[0].split(".")[0].split("@")[0]
    code = code.replace("-", "_").split("_")[0].lower()
    return code if code in LANGUAGES else None


def choose_language(
    flag: str | None = None,
    config: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The language to speak: ``--lang`` > ``CASEDESK_LANG`` > the config file's
    ``language`` > the locale > English. A language asked for by name that the desk does
    not speak is a :class:`~casedesk.errors.ConfigError` (one line); a locale it does not
    speak just means English."""
    from casedesk.errors import ConfigError

    env = os.environ if environ is None else environ
    asked = [
        ("--lang", flag),
        (ENV_LANG, env.get(ENV_LANG) or None),
        ("the config file's language", (config or {}).get("language")),
    ]
    for source, value in asked:
        if value is None:
            continue
        code = normalize(value) if isinstance(value, str) else None
        if code is None:
            raise ConfigError(
                f"{source}: unknown language {value!r}; choose one of "
                f"{', '.join(LANGUAGES)}"
            )
        return code
    for variable in _LOCALE_VARIABLES:
        value = env.get(variable)
        if value:
            return normalize(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def catalogue_path(code: str, suffix: str = ".mo") -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def _load(code: str) -> _gettext.NullTranslations:
    if code == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    mo, po = catalogue_path(code), catalogue_path(code, ".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _gettext.GNUTranslations(io.BytesIO(compile_catalogue(po)))


def compile_catalogue(po: Path) -> bytes:
    """The ``.mo`` bytes of a ``.po`` file (Babel; fuzzy entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalogue = read_po(handle)
    out = io.BytesIO()
    write_mo(out, catalogue)
    return out.getvalue()


def set_language(code: str) -> None:
    """Speak ``code`` from now on (a code of :data:`LANGUAGES`)."""
    global _translation, _language
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}")
    _translation = _load(code)
    _language = code
    # click and typer translate their own words through the standard library's gettext
    _gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    _gettext.textdomain(DOMAIN)
    os.environ["LANGUAGE"] = code


_CATALOGUES: dict[str, _gettext.NullTranslations] = {}


def translator(code: str) -> _gettext.NullTranslations:
    """The catalogue of ``code`` whatever the current language: for text somebody else
    reads in their own language (a customer's mail). Unknown codes read English."""
    if code not in LANGUAGES:
        code = DEFAULT_LANGUAGE
    if code not in _CATALOGUES:
        _CATALOGUES[code] = _load(code)
    return _CATALOGUES[code]
