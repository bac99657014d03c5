"""The translation catalogue's tools (Babel): extract, update, compile, check.

``python -m casedesk.catalogues update`` extracts every marked string of the package and
brings ``es/LC_MESSAGES/casedesk.po`` up to date (new strings empty, gone strings
dropped); ``compile`` writes the ``.mo`` the desk reads (``make`` runs it on install);
``check`` lists what the tests refuse: a string with no Spanish, a fuzzy one, one whose
placeholders differ from the English, a catalogue that is stale. Developer tooling: the
desk itself never imports this module.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from casedesk.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, catalogue_path

PACKAGE = Path(__file__).parent
#: The calls whose string arguments are messages: ``_``, ``N_``, ``ngettext``, ``pgettext``,
#: and a Textual ``Binding``'s third argument (its description, translated where shown).
KEYWORDS: dict[str, tuple[int | tuple[int, str], ...] | None] = {
    "_": None,
    "gettext": None,  # the portal's per-request catalogues (tr.gettext)
    "N_": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "NP_": ((1, "c"), 2),
    "Binding": (3,),
}
METHODS = [("**.py", "python"), ("web/templates/**.html", "jinja2.ext:babel_extract")]
TRANSLATED = tuple(code for code in LANGUAGES if code != "en")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]|%[sd]")


#: Written as the catalogue's dates, so that an update changes only what changed.
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def _catalogue(locale: str | None = None) -> Catalog:
    catalogue = Catalog(locale=locale, domain=DOMAIN, project="casedesk", version="1",
                        charset="utf-8", creation_date=_FIXED_DATE,
                        revision_date=_FIXED_DATE, language_team="casedesk",
                        last_translator="casedesk")
    if locale is not None:
        _two_plurals(catalogue)
    return catalogue


def _two_plurals(catalogue: Catalog) -> None:
    """One and many: the desk never counts in millions differently (CLDR's third form)."""
    setattr(catalogue, "_num_plurals", 2)  # noqa: B010 - Babel has no public setter
    setattr(catalogue, "_plural_expr", "(n != 1)")  # noqa: B010


def extract() -> Catalog:
    """Every marked message of the package, English, without locations (stable diffs)."""
    catalogue = _catalogue()
    found = extract_from_dir(
        str(PACKAGE), METHODS, keywords=KEYWORDS, comment_tags=("i18n:",),
        strip_comment_tags=True,
    )
    for _filename, _lineno, message, comments, context in found:
        catalogue.add(message, None, auto_comments=comments, context=context)
    return catalogue


def read(code: str) -> Catalog:
    with catalogue_path(code, ".po").open("rb") as handle:
        return read_po(handle, locale=code)


def update(code: str) -> Catalog:
    """Bring the ``.po`` of ``code`` up to the extracted messages; keep what is translated."""
    path = catalogue_path(code, ".po")
    template = extract()
    if path.exists():
        catalogue = read(code)
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.obsolete.clear()
    else:
        catalogue = _catalogue(code)
        catalogue.update(template, no_fuzzy_matching=True)
    catalogue.creation_date = catalogue.revision_date = _FIXED_DATE
    catalogue.fuzzy = False
    _two_plurals(catalogue)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalogue, omit_header=False, no_location=True, sort_output=True,
                 width=96)
    return catalogue


def compile_mo(code: str) -> Path:
    """Write the ``.mo`` of ``code`` next to its ``.po``."""
    catalogue = read(code)
    path = catalogue_path(code)
    with path.open("wb") as handle:
        write_mo(handle, catalogue)
    return path


def _ids(message: Message) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple | list) else [message.id]


def _strings(message: Message) -> list[str]:
    value = message.string
    return list(value) if isinstance(value, tuple | list) else [value or ""]


def placeholders(text: str) -> set[str]:
    """The ``{name}`` / ``%s`` placeholders of a message (``{{`` is a literal brace)."""
    return set(_PLACEHOLDER.findall(text.replace("{{", "").replace("}}", "")))


def problems(code: str) -> Iterator[str]:
    """What is wrong with the catalogue of ``code``, one line each (nothing: all good)."""
    path = catalogue_path(code, ".po")
    if not path.exists():
        yield f"{path} is missing: run `python -m casedesk.catalogues update`"
        return
    catalogue = read(code)
    extracted = {(m.id if isinstance(m.id, str) else m.id[0], m.context)
                 for m in extract() if m.id}
    present = {(m.id if isinstance(m.id, str) else m.id[0], m.context)
               for m in catalogue if m.id}
    for msgid, _context in sorted(extracted - present, key=str):
        yield f"not in the catalogue (run `make catalogues`): {msgid!r}"
    for msgid, _context in sorted(present - extracted, key=str):
        yield f"no longer in the code (run `make catalogues`): {msgid!r}"
    for message in catalogue:
        if not message.id:
            continue
        label = _ids(message)[0]
        if message.fuzzy:
            yield f"fuzzy: {label!r}"
        strings = _strings(message)
        if not all(strings):
            yield f"no {LANGUAGES[code]} translation: {label!r}"
            continue
        wanted = set().union(*(placeholders(i) for i in _ids(message)))
        for string in strings:
            if placeholders(string) != wanted:
                yield (f"placeholders differ in {label!r}: {sorted(wanted)} vs "
                       f"{sorted(placeholders(string))}")
    mo = catalogue_path(code)
    if not mo.exists() or mo.stat().st_mtime < path.stat().st_mtime:
        yield f"{mo} is missing or older than its .po: run `make`"


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "update":
        for code in TRANSLATED:
            update(code)
        return 0
    if command == "compile":
        for code in TRANSLATED:
            print(compile_mo(code).relative_to(LOCALE_DIR.parent.parent))
        return 0
    if command == "check":
        found = [line for code in TRANSLATED for line in problems(code)]
        for line in found:
            print(line)
        return 1 if found else 0
    print("usage: python -m casedesk.catalogues update|compile|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
