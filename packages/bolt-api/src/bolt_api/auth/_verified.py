"""Tokens verified before: the signature is checked once per token, not once per request.

A JWT's signature, algorithm, audience, issuer, required claims and type are facts about
its bytes and the backend's fixed settings: once PyJWT has verified them they stay true.
Only the clock can change the answer (``exp``, ``nbf``, ``iat``), and the revocation store.
So :class:`VerifiedTokens` keeps, per token string, its claims, its :class:`AuthContext`
and the window of time in which PyJWT would accept it (the same leeway); a request whose
token is in it and inside its window skips PyJWT's HMAC or RSA work and JSON decoding. The
revocation store is still asked on every request (``JWTAuthentication._check_revocation``).

Only tokens that verified are stored, so a forged token never enters; the store is bounded
(:data:`MAX_TOKENS` tokens of at most :data:`MAX_TOKEN_LENGTH` characters, oldest first
out), so a flood of valid tokens costs a bounded amount of memory and only evicts. Reads and
writes are single dict operations, atomic under the GIL; two threads verifying the same new
token at once both verify it, which is harmless.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import Any

from ._context import AuthContext

__all__ = ["MAX_TOKENS", "MAX_TOKEN_LENGTH", "FrozenClaims", "VerifiedToken", "VerifiedTokens"]

#: Tokens a backend remembers (the oldest is forgotten first).
MAX_TOKENS = 4096
#: A longer token is verified on every request (memory stays bounded per entry too).
MAX_TOKEN_LENGTH = 4096


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


class FrozenClaims(dict[str, Any]):
    """A token's claims, shared by every request that carries the token: a ``dict`` (so
    handlers read and encode it as before) that refuses changes, so one request cannot
    alter what the next one sees."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a token's claims are read-only (copy them: dict(context.claims))")

    __setitem__ = __delitem__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse


class VerifiedToken:
    """One verified token: its claims, its context and when PyJWT would accept it."""

    __slots__ = ("claims", "context", "not_after", "not_before")

    def __init__(self, claims: Mapping[str, Any], context: AuthContext, leeway: float) -> None:
        self.claims = claims
        self.context = context
        exp = _number(claims.get("exp"))
        # PyJWT: expired when exp <= now - leeway; immature when nbf (or iat) > now + leeway
        self.not_after = math.inf if exp is None else exp + leeway
        starts = [
            t for t in (_number(claims.get("nbf")), _number(claims.get("iat"))) if t is not None
        ]
        self.not_before = max(starts) - leeway if starts else -math.inf

    def valid_at(self, now: float) -> bool:
        return self.not_before <= now < self.not_after


class VerifiedTokens:
    """The bounded store of :class:`VerifiedToken` by token string."""

    __slots__ = ("_tokens", "max_tokens")

    def __init__(self, max_tokens: int = MAX_TOKENS) -> None:
        self.max_tokens = max_tokens
        self._tokens: dict[str, VerifiedToken] = {}

    def __len__(self) -> int:
        return len(self._tokens)

    def __bool__(self) -> bool:
        return True  # an empty store is still a store

    def get(self, token: str, now: float) -> VerifiedToken | None:
        """The token's entry if it is still inside its window; an expired one is dropped
        (the caller verifies again, and PyJWT gives the reason)."""
        entry = self._tokens.get(token)
        if entry is None:
            return None
        if entry.valid_at(now):
            return entry
        self._tokens.pop(token, None)
        return None

    def put(self, token: str, entry: VerifiedToken) -> None:
        if len(token) > MAX_TOKEN_LENGTH:
            return
        tokens = self._tokens
        if len(tokens) >= self.max_tokens:
            # emptied or changed by another thread meanwhile: nothing to forget
            with contextlib.suppress(StopIteration, KeyError, RuntimeError):
                del tokens[next(iter(tokens))]
        tokens[token] = entry
