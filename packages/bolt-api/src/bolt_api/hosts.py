"""Allowed hosts: which ``Host`` names an API answers to, Django's ``ALLOWED_HOSTS`` rules.

A server reachable under a name it does not expect is open to Host-header attacks: a
password-reset mail built with ``request.build_absolute_uri()`` that points at the attacker's
site, or a cache poisoned under another name. ``BoltAPI(allowed_hosts=[...])`` (under Django,
``ALLOWED_HOSTS``, applied by bolt-django when the API sets none) refuses every request whose
host is not on the list with ``400 {"detail": "Invalid Host header"}``, before anything else
of the route runs, and logs it to ``django.security.DisallowedHost`` as Django does.

The rules are Django's (``django.http.request.validate_host``), so a settings file means the
same under ``runbolt`` as under ``runserver``:

* ``"*"`` allows any host (and the check is left out of the routes altogether);
* ``".example.com"`` allows ``example.com`` and every subdomain of it;
* any other entry is one exact name, compared without case;
* the host is ``Host`` (``X-Forwarded-Host`` instead with ``use_forwarded_host``, Django's
  ``USE_X_FORWARDED_HOST``, for a proxy that sets it), its port ignored, a trailing dot
  dropped; a value that is not ``name[:port]`` or ``[IPv6][:port]`` is never allowed, nor is
  a request without one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from .engine import Needs, Request

__all__ = ["AllowedHosts", "INVALID_HOST", "SECURITY_LOGGER", "split_domain_port"]

#: The ``detail`` of the 400 a refused host gets.
INVALID_HOST = "Invalid Host header"
#: Django's logger for this refusal, so a ``LOGGING`` that silences it under Django works here.
SECURITY_LOGGER = "django.security.DisallowedHost"
#: ``name[:port]`` or ``[IPv6][:port]``, lower case (Django's ``host_validation_re``).
_HOST = re.compile(r"([a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([0-9]+))?")
#: How many verdicts a list keeps (per process): a client sending a new name per request
#: only empties the memo.
_MEMO = 512

_log = logging.getLogger(SECURITY_LOGGER)


def split_domain_port(host: str) -> tuple[str, str]:
    """``(domain, port)`` of a ``Host`` value, lower case and without a trailing dot;
    ``("", "")`` when it is not ``name[:port]`` or ``[IPv6][:port]``."""
    match = _HOST.fullmatch(host.lower())
    if match is None:
        return "", ""
    domain, port = match.group(1), match.group(2) or ""
    return domain.removesuffix("."), port


class AllowedHosts:
    """A compiled host list. :meth:`allows` is what the ``host`` stage asks per request."""

    __slots__ = ("_exact", "_suffixes", "_verdicts", "allows_any", "hosts", "use_forwarded_host")

    def __init__(self, hosts: Iterable[str], *, use_forwarded_host: bool = False) -> None:
        if isinstance(hosts, str):
            raise TypeError(f"allowed_hosts takes a list of host names, got the string {hosts!r}")
        listed = tuple(hosts)
        for host in listed:
            if not isinstance(host, str) or not host:
                raise ValueError(f"allowed_hosts: {host!r} is not a host name")
        #: The entries as given.
        self.hosts = listed
        self.use_forwarded_host = use_forwarded_host
        #: ``"*"`` is listed: every host passes, so routes get no ``host`` stage.
        self.allows_any = "*" in listed
        lowered = [host.lower() for host in listed]
        self._exact = frozenset(host for host in lowered if not host.startswith("."))
        self._suffixes = tuple(host for host in lowered if host.startswith("."))
        self._verdicts: dict[str, bool] = {}

    def __repr__(self) -> str:
        forwarded = ", use_forwarded_host=True" if self.use_forwarded_host else ""
        return f"AllowedHosts({list(self.hosts)!r}{forwarded})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AllowedHosts):
            return NotImplemented
        return (self.hosts, self.use_forwarded_host) == (other.hosts, other.use_forwarded_host)

    def __hash__(self) -> int:
        return hash((self.hosts, self.use_forwarded_host))

    @property
    def needs(self) -> Needs:
        """What the check reads: ``Host`` alone, or every header for ``X-Forwarded-Host``."""
        return Needs.HEADERS if self.use_forwarded_host else Needs.HOST

    def host_of(self, request: Request) -> str | None:
        """The host a request names: ``X-Forwarded-Host`` when trusted and present, else
        ``Host``; ``None`` when it has neither."""
        if self.use_forwarded_host:
            forwarded = request.headers.get("x-forwarded-host")
            if forwarded is not None:
                return forwarded
        return request.host

    def allows(self, request: Request) -> bool:
        """Whether ``request``'s host is on the list; a refusal is logged."""
        host = self.host_of(request)
        if host is None:
            host = ""
        verdict = self._verdicts.get(host)
        if verdict is None:
            verdict = self._judge(host)
            if len(self._verdicts) >= _MEMO:
                self._verdicts.clear()
            self._verdicts[host] = verdict
        if not verdict:
            self.refused(host)
        return verdict

    def _judge(self, host: str) -> bool:
        if self.allows_any:
            return True
        domain, _ = split_domain_port(host)
        if not domain:
            return False
        if domain in self._exact:
            return True
        return any(domain.endswith(s) or domain == s[1:] for s in self._suffixes)

    def refused(self, host: str) -> None:
        """Log a refusal as Django words it (one line, no traceback: a client chooses
        the host, so it must not be able to fill the log with stack traces)."""
        domain, _ = split_domain_port(host)
        if domain:
            _log.warning(
                "Invalid HTTP_HOST header: %r. You may need to add %r to ALLOWED_HOSTS.",
                host,
                domain,
            )
        else:
            _log.warning(
                "Invalid HTTP_HOST header: %r. The domain name provided is not valid "
                "according to RFC 1034/1035.",
                host,
            )
