"""Revocation stores: which tokens (by ``jti``) and which refresh families (by ``fam``) no
longer count, checked by ``JWTAuthentication(revocation_store=...)`` on every request.

The names follow django-bolt (``RevocationStore``, ``InMemoryRevocation``,
``DjangoCacheRevocation``, ``DjangoORMRevocation``); the methods are **sync**, unlike
django-bolt's coroutines, because Bolt's access check is sync: it runs before the body is
bound, in place on the engine's thread for a sync route. A store that does I/O (a cache
server, the database) says so with ``blocks = True``, and every route whose backend uses it
then runs its check on the handler pool (the mechanism ``SessionAuthentication`` uses), so
neither the engine's thread nor the event loop ever waits on it.

An entry must outlive the token it revokes — else a still-valid token could be replayed once
the entry is gone — so ``revoke(jti, exp=...)`` takes the token's ``exp`` and keeps the entry
that long (``default_ttl`` when it is not given).

:meth:`RevocationStore.consume` is what refresh rotation stands on: it marks a ``jti`` used
and says whether it was the first use, *atomically*, so two requests racing with one refresh
token cannot both rotate it.
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

__all__ = [
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "InMemoryRevocation",
    "RevocationStore",
]

#: How long an entry lives when the caller does not give the token's ``exp``: the default
#: refresh-token lifetime, so a revoked refresh token cannot outlive its entry.
DEFAULT_TTL = 7 * 86400


def _ttl(exp: float | None, default: int) -> int:
    """Seconds an entry for a token expiring at ``exp`` must live (never negative)."""
    if exp is None:
        return default
    return max(1, int(exp - time.time()) + 1)


class RevocationStore:
    """Base of the revocation stores. Subclass and implement :meth:`is_revoked`,
    :meth:`revoke` and :meth:`consume`; families are kept as ``jti``-like entries under a
    ``fam:`` prefix unless a store does better."""

    #: Whether the store does I/O: routes checking it then run their check off the engine's
    #: thread (on the handler pool).
    blocks: ClassVar[bool] = True

    def is_revoked(self, jti: str) -> bool:
        """Whether the token ``jti`` was revoked (or, for a refresh token, used)."""
        raise NotImplementedError

    def revoke(self, jti: str, *, exp: float | None = None) -> None:
        """Revoke the token ``jti``, whose ``exp`` claim is ``exp``."""
        raise NotImplementedError

    def consume(self, jti: str, *, exp: float | None = None) -> bool:
        """Mark ``jti`` used; ``True`` only for the first call (atomic)."""
        raise NotImplementedError

    def is_family_revoked(self, fam: str) -> bool:
        """Whether the refresh family ``fam`` (every token rotated from one login) is revoked."""
        return self.is_revoked(f"fam:{fam}")

    def revoke_family(self, fam: str, *, exp: float | None = None) -> None:
        """Revoke the family ``fam``: logout, or a refresh token seen twice."""
        self.revoke(f"fam:{fam}", exp=exp)


class InMemoryRevocation(RevocationStore):
    """Entries in this process's memory: for tests, development and a single process.

    With ``--processes N`` each process has its own: a token revoked in one still passes in
    the others. Use :class:`DjangoCacheRevocation` (Redis, Memcached, ...) there.
    """

    blocks: ClassVar[bool] = False

    def __init__(self, *, default_ttl: int = DEFAULT_TTL) -> None:
        self.default_ttl = default_ttl
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def _purge(self, now: float) -> None:
        if len(self._until) > 1024:
            self._until = {k: v for k, v in self._until.items() if v > now}

    def is_revoked(self, jti: str) -> bool:
        until = self._until.get(jti)
        return until is not None and until > time.time()

    def revoke(self, jti: str, *, exp: float | None = None) -> None:
        now = time.time()
        with self._lock:
            self._purge(now)
            self._until[jti] = now + _ttl(exp, self.default_ttl)

    def consume(self, jti: str, *, exp: float | None = None) -> bool:
        now = time.time()
        with self._lock:
            until = self._until.get(jti)
            if until is not None and until > now:
                return False
            self._purge(now)
            self._until[jti] = now + _ttl(exp, self.default_ttl)
            return True

    def clear(self) -> None:
        """Forget every entry (tests)."""
        with self._lock:
            self._until.clear()


class DjangoCacheRevocation(RevocationStore):
    """Entries in a Django cache (``CACHES[cache_alias]``), shared by every process and
    machine that uses it; each expires with its token (the cache's timeout).

    ``consume`` is the cache's ``add()``, atomic on Redis, Memcached and the database cache.
    Django's local-memory cache is per process, like :class:`InMemoryRevocation`.
    """

    def __init__(
        self,
        cache_alias: str = "default",
        key_prefix: str = "revoked:",
        *,
        default_ttl: int = DEFAULT_TTL,
    ) -> None:
        self.cache_alias = cache_alias
        self.key_prefix = key_prefix
        self.default_ttl = default_ttl

    @property
    def cache(self) -> Any:
        """The Django cache (looked up per use: ``caches`` is per thread)."""
        from django.core.cache import caches

        return caches[self.cache_alias]

    def is_revoked(self, jti: str) -> bool:
        return self.cache.get(self.key_prefix + jti) is not None

    def revoke(self, jti: str, *, exp: float | None = None) -> None:
        self.cache.set(self.key_prefix + jti, 1, timeout=_ttl(exp, self.default_ttl))

    def consume(self, jti: str, *, exp: float | None = None) -> bool:
        added: bool = self.cache.add(self.key_prefix + jti, 1, timeout=_ttl(exp, self.default_ttl))
        return added


class DjangoORMRevocation(RevocationStore):
    """Entries as rows of a model of yours, ``"app_label.ModelName"``, with a unique
    ``jti = CharField(max_length=255, unique=True)`` and ``expires_at = DateTimeField()``
    (django-bolt's ``RevokedToken``): Bolt ships no model, so no migration of Bolt's ever
    touches your database. Delete rows whose ``expires_at`` has passed from time to time.

    ``consume`` is ``get_or_create`` on the unique ``jti``: the database decides the race.
    """

    def __init__(self, model: str, *, default_ttl: int = DEFAULT_TTL) -> None:
        if model.count(".") != 1 or not all(model.split(".")):
            raise ValueError(f"model must be 'app_label.ModelName', got {model!r}")
        self.model_path = model
        self.default_ttl = default_ttl

    @property
    def model(self) -> Any:
        """The model class (looked up when first used: apps must be ready)."""
        from django.apps import apps

        return apps.get_model(self.model_path)

    def _expires_at(self, exp: float | None) -> Any:
        import datetime as dt

        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=_ttl(exp, self.default_ttl))

    def is_revoked(self, jti: str) -> bool:
        import datetime as dt

        rows = self.model.objects.filter(jti=jti, expires_at__gt=dt.datetime.now(dt.UTC))
        found: bool = rows.exists()
        return found

    def revoke(self, jti: str, *, exp: float | None = None) -> None:
        self.model.objects.update_or_create(jti=jti, defaults={"expires_at": self._expires_at(exp)})

    def consume(self, jti: str, *, exp: float | None = None) -> bool:
        import datetime as dt

        model = self.model
        row, created = model.objects.get_or_create(
            jti=jti, defaults={"expires_at": self._expires_at(exp)}
        )
        if created:
            return True
        if row.expires_at <= dt.datetime.now(dt.UTC):  # a stale row: this is a first use
            updated: int = model.objects.filter(pk=row.pk, expires_at=row.expires_at).update(
                expires_at=self._expires_at(exp)
            )
            return updated == 1
        return False
