"""Replacing serving processes that still work: on SIGHUP, or when one is due for recycling.

``--max-requests`` (plus up to ``--max-requests-jitter``), ``--max-lifetime`` and
``--max-rss`` bound what a long-lived process may accumulate (leaks, fragmentation). The
request count is the child's business (the ``count`` stage ``BoltAPI.compile(max_requests=)``
builds into every route, which tells the parent through
:meth:`~bolt_api.server.ParentLink.retire`); lifetime and memory are watched by the parent
(:class:`Recycling`).

Either way the replacement is a :class:`Rollout`: one process at a time, the new one started
first and the old one stopped gracefully once the new one is ready, so no request fails.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Iterable

from ._children import READY, Child
from ._options import ProcessOptions

__all__ = ["Recycling", "Rollout", "rss_mib"]

#: Extra random share of ``--max-lifetime``, so children started together do not all recycle
#: at the same moment.
_LIFETIME_JITTER = 0.1
#: After a replacement failed to load, recycling waits this long before trying again.
_RETRY_AFTER = 30.0
_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 0.0


def rss_mib(pid: int) -> float | None:
    """Process ``pid``'s resident memory in MiB (Linux's ``/proc``), ``None`` if unknown."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_MIB
    except (OSError, ValueError, IndexError):
        return None


class Recycling:
    """The parent's recycling policy for ``options``; ``log`` tells the operator."""

    def __init__(self, options: ProcessOptions, log: Callable[[str], None]) -> None:
        self.options = options
        self._log = log
        #: ``--max-rss``, or 0 once it turned out unreachable.
        self._max_rss = options.max_rss

    def request_limit(self) -> int:
        """A new child's share of ``--max-requests`` (0: unlimited)."""
        options = self.options
        if not options.max_requests:
            return 0
        return options.max_requests + random.randint(0, options.max_requests_jitter)

    def retire_at(self, started: float) -> float:
        """When a child started at ``started`` (monotonic) reaches ``--max-lifetime``."""
        lifetime = self.options.max_lifetime
        if not lifetime:
            return math.inf
        return started + lifetime * (1 + random.uniform(0, _LIFETIME_JITTER))

    def on_ready(self, pid: int) -> None:
        """Give ``--max-rss`` up when a fresh process already exceeds it: it would recycle
        every process as soon as it is ready, forever."""
        if not self._max_rss:
            return
        rss = rss_mib(pid)
        if rss is not None and rss > self._max_rss:
            self._log(
                f"a process uses {rss:.0f} MiB as soon as it is ready, over --max-rss "
                f"{self._max_rss:g}: ignoring --max-rss"
            )
            self._max_rss = 0.0

    def reason(self, pid: int, retire_at: float, now: float) -> str:
        """Why the ready process ``pid`` should be replaced now ("" if it should not)."""
        if now >= retire_at:
            return "--max-lifetime reached"
        limit = self._max_rss
        if limit:
            rss = rss_mib(pid)
            if rss is not None and rss > limit:
                return f"{rss:.0f} MiB resident, over --max-rss {limit:g}"
        return ""


class Rollout:
    """Which child to replace next, one at a time.

    SIGHUP starts a new *generation*: every child of an older one is out of date. Recycling
    marks single children (:attr:`Child.recycle`). A replacement that fails to load ends the
    rollout — the running children count as up to date — and recycling waits a while before
    it tries again, rather than loop on a broken deploy.
    """

    def __init__(self) -> None:
        self.generation = 0
        #: The child starting in place of another (:attr:`Child.replaces`), if any.
        self.replacement: Child | None = None
        self._resume_at = 0.0

    def restart_all(self) -> None:
        """SIGHUP: every running child is out of date."""
        self.generation += 1
        self._resume_at = 0.0

    def due(self, slots: Iterable[Child | None]) -> Child | None:
        """The first ready child out of date or due for recycling."""
        for child in slots:
            if (
                child is not None
                and child.state == READY
                and (child.recycle or child.generation < self.generation)
            ):
                return child
        return None

    def next(self, slots: Iterable[Child | None], now: float) -> Child | None:
        """The child to start replacing now, if any (none while a replacement starts)."""
        if self.replacement is None and now >= self._resume_at:
            return self.due(slots)
        return None

    def failed(self, slots: Iterable[Child | None], now: float) -> None:
        """The replacement failed to load: the running children stay."""
        for current in slots:
            if current is not None:
                current.generation = self.generation
        self._resume_at = now + _RETRY_AFTER
