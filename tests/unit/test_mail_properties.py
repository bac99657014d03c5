"""Properties of the mail side's arithmetic and of its parsers of outside input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.cli import mailgate
from casedesk.config import MAIL_KEYS, _mail_value
from casedesk.errors import ConfigError
from casedesk.services.imports.mail import _CASE_TAG
from casedesk.services.mail.outbox import backoff, case_tag
from casedesk.services.mail.smtp import SmtpSettings


@given(st.integers(1, 60), st.integers(1, 86400), st.integers(1, 86400),
       st.integers(0, 10_000))
def test_backoff_grows_and_stays_within_its_bounds(first: int, cap: int, extra: int,
                                                   attempts: int) -> None:
    s = SmtpSettings(retry_seconds=first, max_retry_seconds=cap)
    wait = backoff(attempts, s)
    assert timedelta(0) < wait <= timedelta(seconds=max(cap, 1))
    assert wait <= backoff(attempts + 1, s)  # never shorter after another failure
    assert wait >= timedelta(seconds=min(first, cap))


@given(st.integers(1, 10**12))
def test_the_case_tag_is_what_the_import_reads(number: int) -> None:
    found = _CASE_TAG.findall(f"Re: {case_tag(number)} hola")
    assert [int(d) for d in found] == [number]


@given(st.lists(st.text(max_size=12), max_size=8))
def test_the_gate_parses_any_argv_without_raising(argv: list[str]) -> None:
    request = mailgate.parse(argv)
    if request is not None:
        assert [a for a in argv if a in ("mail", "receive")][:2] == ["mail", "receive"]
        assert set(request) == {"db", "queue", "timezone", "ack", "json"}


@given(st.sampled_from(sorted(MAIL_KEYS)), st.one_of(st.text(max_size=20), st.integers(),
                                                      st.booleans(), st.none(),
                                                      st.floats(allow_nan=True)))
def test_a_mail_setting_is_its_kind_or_one_config_error(key: str, raw: object) -> None:
    kind = MAIL_KEYS[key][1]
    try:
        value = _mail_value(key, kind, raw, "config.toml [mail]")
    except ConfigError as exc:
        assert key in str(exc) and "\n" not in str(exc)
        return
    if kind == "flag":
        assert isinstance(value, bool)
    elif kind in ("port", "count", "seconds"):
        assert isinstance(value, int) and not isinstance(value, bool) and value >= 1
    else:
        assert isinstance(value, str)
        if kind == "address":
            assert "@" in value and "\n" not in value


@pytest.mark.parametrize("raw,expected", [("587", 587), (" 25 ", 25), (465, 465)])
def test_ports_from_the_environment_or_the_file(raw: object, expected: int) -> None:
    assert _mail_value("port", "port", raw, "CASEDESK_SMTP_PORT") == expected
