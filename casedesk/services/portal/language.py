"""Translations chosen per customer, not per process.

:mod:`casedesk.i18n` speaks one language for the whole process (the CLI's, the
workstation's). A web server answers customers in different languages at once, so the
portal looks the catalogue up per request: :func:`translator` gives the same catalogue
:func:`casedesk.i18n.set_language` would load, without switching the process.
"""

from __future__ import annotations

import gettext as _gettext
import io
from functools import lru_cache

from casedesk.i18n import DEFAULT_LANGUAGE, LANGUAGES, catalogue_path, compile_catalogue
from casedesk.labels import _WORDS


@lru_cache(maxsize=8)
def translator(code: str) -> _gettext.NullTranslations:
    """The catalogue of ``code`` (English: the source strings); cached per language."""
    if code not in LANGUAGES:
        code = DEFAULT_LANGUAGE
    if code == DEFAULT_LANGUAGE:
        return _gettext.NullTranslations()
    mo, po = catalogue_path(code), catalogue_path(code, ".po")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    return _gettext.GNUTranslations(io.BytesIO(compile_catalogue(po)))


def label_in(code: str, vocabulary: str, value: object) -> str:
    """:func:`casedesk.labels.label` in the language ``code`` (the code itself when the
    vocabulary has no word for it)."""
    words = _WORDS.get(vocabulary, {})
    key = str(value)
    if key not in words:
        return key
    context, message = words[key]
    return translator(code).pgettext(context, message)


def best_language(accept_language: str | None) -> str:
    """The language to answer in from an ``Accept-Language`` header (by its q-values);
    English when it names none the desk speaks."""
    best: tuple[float, int, str] | None = None
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        piece = part.strip()
        if not piece:
            continue
        tag, _sep, params = piece.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().replace("_", "-").split("-")[0].lower()
        if code in LANGUAGES and quality > 0:
            candidate = (quality, -index, code)
            if best is None or candidate > best:
                best = candidate
    return best[2] if best else DEFAULT_LANGUAGE
