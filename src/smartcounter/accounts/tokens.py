"""Random tokens for login sessions and devices, kept in the database only as hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh random token, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The SHA-256 of a token: what the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(secret: str, session_token: str) -> str:
    """The CSRF token bound to one session (an HMAC, so nothing more is stored)."""
    return hmac.new(
        secret.encode("utf-8"), b"csrf:" + session_token.encode("utf-8"), hashlib.sha256
    ).hexdigest()


def same(a: str, b: str) -> bool:
    """Compare two secrets in constant time."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
