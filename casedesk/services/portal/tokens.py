"""Random tokens and their hashes: what a link or a cookie carries is never stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets

#: bytes of randomness in a sign-in link's token and a session cookie (256 bits)
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh URL-safe random token (43 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The SHA-256 (hex) a token is stored and looked up by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two tokens."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"),
                               b.encode("utf-8", "surrogatepass"))
