"""Choosing the language, translating, the words for stored codes, locale formats."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk import localformat
from casedesk.errors import ConfigError
from casedesk.i18n import _, choose_language, language, ngettext, normalize, set_language
from casedesk.labels import VOCABULARIES, codes, label


def test_flag_beats_environment_beats_config_beats_locale() -> None:
    env = {"CASEDESK_LANG": "en", "LANG": "es_ES.UTF-8"}
    assert choose_language("es", {"language": "en"}, env) == "es"
    assert choose_language(None, {"language": "es"}, env) == "en"
    assert choose_language(None, {"language": "es"}, {"LANG": "en_US.UTF-8"}) == "es"
    assert choose_language(None, {}, {"LANG": "es_MX.UTF-8"}) == "es"
    assert choose_language(None, {}, {"LANGUAGE": "es:en", "LANG": "C"}) == "es"
    assert choose_language(None, {}, {"LANG": "C.UTF-8"}) == "en"
    assert choose_language(None, {}, {"LANG": "fr_FR.UTF-8"}) == "en"
    assert choose_language(None, {}, {}) == "en"


def test_an_unknown_language_asked_for_by_name_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="unknown language 'fr'.*en, es"):
        choose_language("fr", None, {})
    with pytest.raises(ConfigError, match="config file"):
        choose_language(None, {"language": 3}, {})


@given(st.text(max_size=30))
def test_normalize_never_fails_and_gives_a_spoken_language(value: str) -> None:
    assert normalize(value) in (None, "en", "es")


@pytest.mark.parametrize("value", ["es", "ES", "es_ES.UTF-8", "es-MX", "es_ES@euro", "es:en"])
def test_spanish_spellings(value: str) -> None:
    assert normalize(value) == "es"


def test_switching_translates_and_counts() -> None:
    set_language("es")
    assert language() == "es"
    assert _("Inbox") == "Entrada"
    assert label("status", "in_progress") == "en curso"
    assert label("status", "cancelled") == "cancelado"
    assert label("task_status", "cancelled") == "cancelada"
    set_language("en")
    assert _("Inbox") == "Inbox"
    assert label("status", "awaiting_customer") == "awaiting customer"
    assert ngettext("{n} case", "{n} cases", 2) == "{n} cases"


def test_every_code_of_every_vocabulary_has_spanish() -> None:
    set_language("es")
    for vocabulary in VOCABULARIES:
        for code in codes(vocabulary):
            assert label(vocabulary, code), (vocabulary, code)
    set_language("en")


def test_unknown_codes_are_shown_readably() -> None:
    assert label("status", "on_hold") == "on hold"
    assert label("status", None) == ""


def test_dates_and_numbers_follow_the_language() -> None:
    at = datetime(2026, 12, 1, 14, 5, tzinfo=UTC)
    assert localformat.day_time(at) == "2026-12-01 14:05"
    assert localformat.number(12345.5, 1) == "12,345.5"
    set_language("es")
    assert localformat.day_time(at) == "01/12/2026 14:05"
    assert localformat.weekday_day_time(at) == "mar 01 dic 14:05"
    assert localformat.number(12345.5, 1) == "12.345,5"
    assert localformat.percent(0.935).startswith("93,5")
    set_language("en")
