"""Text rules of knowledge search, shared by both databases: folding, tokens, stop words.

*Folding* is lower case without accents, and ASCII/typographic punctuation turned into
spaces, one character for one character (``Facturación`` → ``facturacion``). The same
map is installed in PostgreSQL as ``casedesk_fold()`` by migration 0002 (plain
``translate()``: no ``unaccent`` extension needed); SQLite's FTS5 tokenizer
``unicode61 remove_diacritics 2`` folds the same letters by itself.

*Tokens* are runs of letters and digits of the folded text, as FTS5 and the PostgreSQL
parser (fed folded text) both see them. Spanish and English *stop words* are dropped from
queries, unless a query has nothing else.

*Snippets* are cut here, from the original text, on both databases: one line of plain
text around the words with the most query terms, each matched word between
:data:`MARK_START` and :data:`MARK_END` (split on them to style the words). PostgreSQL's
``ts_headline`` would cost ~0.85 ms per article (it re-parses the whole body) and would
show folded text; FTS5's ``snippet()`` would differ from it. One rule, same output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from casedesk.services.numbers import parse_article_number

#: Accented Latin letters (Latin-1 and Latin Extended-A) and their plain lower-case letter.
#: Letters with no accent to take off (Ø, Ł, Đ …) are only lower-cased, as FTS5 does.
FOLD_LETTERS_FROM = (
    "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģ"
    "ĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžØĐĦŁĿŦ"
)
FOLD_LETTERS_TO = (
    "aaaaaaceeeeiiiinooooouuuuyaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddeeeeeeeeeegggggggg"
    "hhiiiiiiiiijjkkllllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzzzzøđħłŀŧ"
)
#: Punctuation that separates words; folded to spaces so every backend splits words alike.
FOLD_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¿¡«»–—‘’‚“”„…·•€£¢°´¨×÷\u00a0"

_FOLD = str.maketrans(
    FOLD_LETTERS_FROM + FOLD_PUNCTUATION,
    FOLD_LETTERS_TO + " " * len(FOLD_PUNCTUATION),
)
_TOKEN = re.compile(r"[^\W_]+")
_DIGITS = re.compile(r"^\s*0*(\d{1,9})\s*$")
_EDGE_BEFORE = re.compile(r"\S*$")  # what sticks to a snippet's first word
_EDGE_AFTER = re.compile(r"\S*")  # and to its last


def _edge(match: re.Match[str] | None) -> int:
    """How many characters an edge pattern took (both always match, perhaps empty)."""
    return len(match.group()) if match is not None else 0

#: Shortest prefix matched as a prefix (``fa`` finds ``factura``; ``f`` is only ``f``).
MIN_PREFIX = 2


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


SPANISH_STOP_WORDS = _words(
    """
    a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bajo bien cada
    casi como con contra cual cuales cuando de del desde donde dos durante e el ella ellas
    ello ellos en entonces entre era eran eres es esa esas ese eso esos esta estaba estado
    estais estamos estan estar estas este esto estos estoy etc fue fueron fui ha habia
    habian han has hasta hay he hemos la las le les lo los mas me mi mis mucho muchos muy
    nada ni no nos nosotros nuestra nuestro o os otra otras otro otros para pero poco por
    porque pues que quien quienes se sea sean ser si sido siempre sin sobre sois solo somos
    son soy su sus tal tambien tanto te tenemos tener tengo tenia ti tiene tienen todo todos
    tu tus un una unas uno unos usted ustedes vez vosotros y ya yo
    """
)
ENGLISH_STOP_WORDS = _words(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can cannot could did do does doing don down during each
    few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just me more most my myself nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    yours yourself
    """
)
STOP_WORDS = SPANISH_STOP_WORDS | ENGLISH_STOP_WORDS


def fold(text: str) -> str:
    """Lower case, accents and punctuation off; same length as ``text`` for Latin text."""
    return text.translate(_FOLD).lower()


def tokens(text: str) -> list[str]:
    """The folded words of ``text``, in order, repeats kept."""
    return _TOKEN.findall(fold(text))


def content_terms(text: str) -> list[str]:
    """The distinct folded words of ``text`` that are not stop words, in order of appearance."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        if token not in STOP_WORDS and (len(token) > 1 or token.isdigit()):
            seen.setdefault(token, None)
    return list(seen)


@dataclass(frozen=True)
class SearchQuery:
    """What a search box's text means.

    ``number`` is set for ``KB-000042``-style text (an exact lookup, nothing else) and for
    bare digits (that article first, then the text matches). ``terms`` are folded words
    every result must contain; the last is a prefix when ``prefix`` is set (search as you
    type: it is unless the text ends with a space or punctuation).
    """

    text: str
    terms: tuple[str, ...]
    prefix: bool
    number: int | None = None
    exact_number: bool = False

    @property
    def empty(self) -> bool:
        return not self.terms and self.number is None


def parse_query(text: str) -> SearchQuery:
    """Turn search-box text into a :class:`SearchQuery` (stop words out, last word a prefix).

    A last word shorter than :data:`MIN_PREFIX` is matched whole.
    """
    text = text or ""
    number = parse_article_number(text)
    if number is not None:
        return SearchQuery(text, (), False, number, exact_number=True)
    digits = _DIGITS.match(text)
    words = tokens(text)
    if not words:
        return SearchQuery(text, (), False)
    typing = bool(_TOKEN.fullmatch(fold(text[-1:]))) and len(words[-1]) >= MIN_PREFIX
    last = words[-1]
    kept = [w for w in words if w not in STOP_WORDS] or words
    terms = tuple(dict.fromkeys(kept))
    prefix = typing and terms[-1] == last
    return SearchQuery(
        text, terms, prefix, int(digits.group(1)) if digits else None, exact_number=False
    )


MARK_START = "[b]"
MARK_END = "[/b]"
#: Characters in a snippet (about 25 words), and of context before its first match.
SNIPPET_CHARS = 160
SNIPPET_LEAD = 30
#: Only this much of a very long body is scanned for a snippet.
SNIPPET_SCAN = 50_000


@lru_cache(maxsize=256)
def _matcher(terms: tuple[str, ...], prefix: bool) -> re.Pattern[str]:
    """Matches the folded ``terms`` as whole words of folded text."""
    words = [re.escape(t) for t in terms]
    if prefix:
        words[-1] += r"[^\W_]*"
    return re.compile(r"(?<![^\W_])(?:" + "|".join(words) + r")(?![^\W_])")


def snippet(text: str, terms: Sequence[str], prefix: bool = False) -> str:
    """One line of ``text`` around its best run of query terms, matches marked.

    The :data:`SNIPPET_CHARS` window holding the most distinct terms (then the most
    matches) wins, cut at whole words; without matches it is the beginning. ``…`` marks
    cut ends. Terms are found in the folded text, whose positions are the original's.
    """
    text = text[:SNIPPET_SCAN]
    source = fold(text)
    if len(source) != len(text):  # a letter whose lower case is longer: match unfolded
        source = text
    matches = list(_matcher(tuple(terms), prefix).finditer(source)) if terms else []
    stem = terms[-1] if prefix and terms else ""
    keys = [m.group() if m.group() in terms else stem for m in matches]
    begin, best = 0, (0, 0)
    last = 0
    for first, match in enumerate(matches):
        stop = match.start() + SNIPPET_CHARS - SNIPPET_LEAD
        last = max(last, first)
        while last + 1 < len(matches) and matches[last + 1].end() <= stop:
            last += 1
        key = (len(set(keys[first : last + 1])), last + 1 - first)
        if key > best:
            best, begin = key, max(0, match.start() - SNIPPET_LEAD)
    end = min(len(text), begin + SNIPPET_CHARS)
    words = list(_TOKEN.finditer(source, begin, end))
    if begin > 0 and words and words[0].start() == begin and _TOKEN.match(source, begin - 1):
        words = words[1:]  # the window starts inside a word
    if end < len(text) and words and words[-1].end() == end and _TOKEN.match(source, end):
        words = words[:-1]  # it ends inside one
    if not words:
        return ""
    start, stop = words[0].start(), words[-1].end()
    start -= _edge(_EDGE_BEFORE.search(text, max(0, start - 20), start))  # "¿Cómo", "**"
    stop += _edge(_EDGE_AFTER.match(text, stop, stop + 20))  # "router**.", "bien?"
    pieces: list[str] = ["…"] if _TOKEN.search(source, 0, start) else []
    cursor = start
    for match in matches:
        if match.start() >= start and match.end() <= stop:
            pieces += [text[cursor : match.start()], MARK_START, text[match.start() : match.end()]]
            pieces.append(MARK_END)
            cursor = match.end()
    pieces.append(text[cursor:stop])
    if _TOKEN.search(source, stop):
        pieces.append("…")
    return " ".join("".join(pieces).split())
