"""The process and lifecycle flags: how many processes serve, when they are recycled or
reloaded.

``bolt serve`` and ``manage.py runbolt`` share them: both call :func:`add_arguments` on their
parser and :func:`options_from` on what it parsed, so the flags, their defaults and their
checks are written once.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from ._reload import POLL_INTERVAL, RELOADER_ENV, RELOADERS, Reloader, watchfiles_installed

__all__ = ["DEFAULT_GRACEFUL_TIMEOUT", "ProcessOptions", "add_arguments", "options_from"]

#: Seconds a graceful stop waits for requests in flight (``--graceful-timeout``).
DEFAULT_GRACEFUL_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class ProcessOptions:
    """How many processes serve, and when they are recycled or reloaded."""

    #: Serving processes under a parent; ``None`` serves in the calling process (unless a
    #: recycling option or ``dev`` asks for a parent anyway).
    processes: int | None = None
    graceful_timeout: float = DEFAULT_GRACEFUL_TIMEOUT
    #: Replace a process after this many requests (0: never) ...
    max_requests: int = 0
    #: ... plus a random 0..jitter more, so processes do not all recycle at once.
    max_requests_jitter: int = 0
    #: Replace a process after this many seconds (0: never).
    max_lifetime: float = 0.0
    #: Replace a process whose resident memory exceeds this many MiB (0: never; Linux).
    max_rss: float = 0.0
    #: Restart the processes when a ``.py`` file under ``watch`` changes.
    dev: bool = False
    watch: tuple[str, ...] = ()
    #: How ``dev`` sees changes: ``watchfiles`` when installed (``auto``), or polling.
    reloader: Reloader = "auto"

    def __post_init__(self) -> None:
        if self.processes is not None and self.processes < 1:
            raise ValueError(f"--processes must be 1 or more, got {self.processes}.")
        for flag, value in (
            ("--graceful-timeout", self.graceful_timeout),
            ("--max-requests", self.max_requests),
            ("--max-requests-jitter", self.max_requests_jitter),
            ("--max-lifetime", self.max_lifetime),
            ("--max-rss", self.max_rss),
        ):
            if not value >= 0 or value == math.inf:
                raise ValueError(f"{flag} must be a finite number, 0 or more, got {value}.")
        if self.max_requests_jitter and not self.max_requests:
            raise ValueError("--max-requests-jitter needs --max-requests.")
        if self.max_rss and not os.path.exists("/proc/self/statm"):
            raise ValueError("--max-rss reads /proc, which this system does not have.")
        if self.reloader not in RELOADERS:
            raise ValueError(
                f"${RELOADER_ENV} must be one of {', '.join(RELOADERS)}, got {self.reloader!r}."
            )
        if self.dev and self.reloader == "watchfiles" and not watchfiles_installed():
            raise ValueError(
                f"${RELOADER_ENV}=watchfiles, but watchfiles is not installed "
                "(pip install 'bolt-api[dev]')."
            )

    @property
    def supervised(self) -> bool:
        """Whether a parent process is needed."""
        return (
            self.processes is not None
            or self.dev
            or self.max_requests > 0
            or self.max_lifetime > 0
            or self.max_rss > 0
        )

    @property
    def count(self) -> int:
        """The number of serving processes."""
        return self.processes or 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the process and lifecycle flags (shared by ``bolt serve`` and ``runbolt``)."""
    parser.add_argument(
        "--ablate",
        action="append",
        default=None,
        metavar="NAME",
        help="Benchmarks only: switch off one of bolt-api's optimisations (trivial_async, "
        "compiled_encoders, rust_params); repeatable. Never in production.",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=None,
        metavar="N",
        help="Serve with N processes sharing the port (SO_REUSEPORT) under a supervising "
        "parent that restarts them (SIGHUP: rolling restart). Default: serve in this "
        "process.",
    )
    parser.add_argument(
        "--graceful-timeout",
        type=float,
        default=DEFAULT_GRACEFUL_TIMEOUT,
        metavar="SECONDS",
        help="On SIGTERM/SIGINT, how long requests in flight may take to finish before they "
        f"are cut (default: {DEFAULT_GRACEFUL_TIMEOUT:g}).",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        metavar="N",
        help="Replace a process after N requests (default: 0, never).",
    )
    parser.add_argument(
        "--max-requests-jitter",
        type=int,
        default=0,
        metavar="N",
        help="Add a random 0..N to --max-requests per process (default: 0).",
    )
    parser.add_argument(
        "--max-lifetime",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="Replace a process after this many seconds, plus up to 10%% (default: 0, never).",
    )
    parser.add_argument(
        "--max-rss",
        type=float,
        default=0.0,
        metavar="MIB",
        help="Replace a process whose resident memory exceeds this many MiB (default: 0, never).",
    )
    here = "installed here" if watchfiles_installed() else "not installed here"
    parser.add_argument(
        "--dev",
        action="store_true",
        help="Development: restart the processes when a .py file under the project changes. "
        f"Changes are seen with watchfiles when it is installed ({here}; pip install "
        f"'bolt-api[dev]'), else by polling every {POLL_INTERVAL:g}s; "
        f"{RELOADER_ENV}=poll forces polling.",
    )


def options_from(values: Mapping[str, Any], *, watch: Iterable[str] = ()) -> ProcessOptions:
    """:class:`ProcessOptions` from parsed :func:`add_arguments` flags (``ValueError`` if bad).

    The reloader comes from ``$BOLT_RELOADER`` (``auto``, ``watchfiles`` or ``poll``).
    """
    return ProcessOptions(
        processes=values.get("processes"),
        graceful_timeout=float(values.get("graceful_timeout", DEFAULT_GRACEFUL_TIMEOUT)),
        max_requests=int(values.get("max_requests", 0)),
        max_requests_jitter=int(values.get("max_requests_jitter", 0)),
        max_lifetime=float(values.get("max_lifetime", 0.0)),
        max_rss=float(values.get("max_rss", 0.0)),
        dev=bool(values.get("dev", False)),
        watch=tuple(str(w) for w in watch),
        reloader=cast(Reloader, os.environ.get(RELOADER_ENV, "auto")),  # checked in post-init
    )
