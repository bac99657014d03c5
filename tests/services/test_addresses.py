"""The e-mail address check (RFC 5322 addr-spec, RFC 6531 letters): examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casedesk.errors import ValidationError
from casedesk.services.directory.addresses import check_email, is_email, split_address

GOOD = [
    "ana@example.com",
    "ana.garcia+billing@mail.example.es",
    '"Big Bug"@example.com',
    '"a\\"b"@example.com',
    '"with@at"@example.com',
    "o'brien@example.ie",
    "josé@correo.es",
    "user@[192.0.2.1]",
    "user@[IPv6:2001:db8::1]",
    "x@xn--bcher-kva.example",
]
BAD = [
    "",
    "plain",
    "@example.com",
    "ana@",
    "ana@localhost",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a b@example.com",
    "ana@exa mple.com",
    "ana@-example.com",
    "ana@example-.com",
    "ana@example..com",
    '"unclosed@example.com',
    "a\x00b@example.com",
    "a\nb@example.com",
    "a\u202eb@example.com",
    "a\x85b@example.com",
    "a\ud800b@example.com",
    "\"a\tb\"@example.com",
    "ana@[999.1.1.1]",
    "x" * 65 + "@example.com",
    "a@" + "b" * 250 + ".com",
]


@pytest.mark.parametrize("address", GOOD)
def test_accepts(address: str) -> None:
    assert is_email(address)
    assert check_email(f"  {address} ") == address


@pytest.mark.parametrize("address", BAD)
def test_refuses(address: str) -> None:
    assert not is_email(address)
    if address.strip():
        with pytest.raises(ValidationError, match="not an e-mail address"):
            check_email(address)


_atom = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+/=?^_`{|}~-",
                min_size=1, max_size=10)
_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


@given(st.lists(_atom, min_size=1, max_size=3), st.lists(_label, min_size=2, max_size=4))
def test_every_dot_atom_address_is_accepted(atoms: list[str], labels: list[str]) -> None:
    local, domain = ".".join(atoms), ".".join(labels)
    address = f"{local}@{domain}"
    assert split_address(address) == (local, domain)


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E,
                                      exclude_characters='"\\'), max_size=20),
       st.lists(_label, min_size=2, max_size=3))
def test_every_quoted_local_part_is_accepted(inner: str, labels: list[str]) -> None:
    address = f'"{inner}"@{".".join(labels)}'
    assert is_email(address)


@given(st.text(max_size=80))
def test_never_raises_and_never_accepts_controls_or_bare_spaces(text: str) -> None:
    ok = is_email(text)
    if ok:
        local, _domain = split_address(text)  # type: ignore[misc]
        assert "@" in text and len(text) <= 254
        assert not any(ord(c) < 0x20 or ord(c) == 0x7F for c in text)
        assert " " not in text.replace(local, "") or local.startswith('"')
