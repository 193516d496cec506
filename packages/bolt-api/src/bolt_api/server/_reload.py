"""``--dev``: noticing that a ``.py`` file under the project changed.

Two watchers, one interface (:class:`Watcher`):

* :class:`WatchfilesWatcher`, when `watchfiles <https://watchfiles.helpmanual.io>`_ is
  installed (``pip install 'bolt-api[dev]'``): the kernel reports changes (inotify on
  Linux) to a thread, which wakes the supervisor's loop; nothing is read while nothing
  changes.
* :class:`PollingWatcher` otherwise: every :data:`POLL_INTERVAL` seconds it walks the tree
  and compares modification times — no dependency, but the cost grows with the tree.

``$BOLT_RELOADER`` chooses: ``auto`` (the default: watchfiles if importable), ``watchfiles``
or ``poll``. Both skip the same directories (:func:`skip_dir`) and look at ``.py`` files only.
The supervisor asks :meth:`Watcher.changed` on each turn of its loop and says at start which
watcher runs.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Literal, Protocol

__all__ = [
    "POLL_INTERVAL",
    "RELOADERS",
    "RELOADER_ENV",
    "PollingWatcher",
    "Reloader",
    "Watcher",
    "WatchfilesWatcher",
    "open_watcher",
    "scan",
    "skip_dir",
    "watchfiles_installed",
    "watching",
]

#: The environment variable choosing the watcher (one of :data:`RELOADERS`).
RELOADER_ENV = "BOLT_RELOADER"
Reloader = Literal["auto", "watchfiles", "poll"]
RELOADERS: tuple[Reloader, ...] = ("auto", "watchfiles", "poll")
#: Seconds between two walks of the tree by :class:`PollingWatcher`.
POLL_INTERVAL = 0.5
#: Directories never looked into (besides hidden ones and virtualenvs).
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "target", "build", "dist"})
#: Milliseconds watchfiles waits before yielding "nothing yet": its first yield, empty or
#: not, tells that its watches are in place (see :meth:`WatchfilesWatcher.wait_watching`).
_WATCHFILES_TIMEOUT_MS = 100


def watchfiles_installed() -> bool:
    """Whether ``watchfiles`` can be imported (without importing it)."""
    return importlib.util.find_spec("watchfiles") is not None


def skip_dir(parent: str, name: str) -> bool:
    """Whether the directory ``name`` in ``parent`` is left out: hidden, a cache, build
    output or a virtualenv."""
    return (
        name.startswith(".")
        or name in _SKIP_DIRS
        or os.path.exists(os.path.join(parent, name, "pyvenv.cfg"))
    )


def scan(roots: Iterable[str]) -> dict[str, int]:
    """``{path: mtime_ns}`` of the ``.py`` files under ``roots`` (skipped directories left
    out)."""
    found: dict[str, int] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not skip_dir(dirpath, d)]
            for name in filenames:
                if name.endswith(".py"):
                    path = os.path.join(dirpath, name)
                    with contextlib.suppress(OSError):
                        found[path] = os.stat(path).st_mtime_ns
    return found


class Watcher(Protocol):
    """What the supervisor needs of a watcher."""

    def changed(self) -> str | None:
        """A ``.py`` file changed, added or removed since the last call (the first in sorted
        order when several did), or ``None``. Never blocks."""
        ...

    def close(self) -> None:
        """Stop watching."""
        ...


class PollingWatcher:
    """Walks the tree every ``interval`` seconds and compares modification times."""

    def __init__(self, roots: Iterable[str], interval: float = POLL_INTERVAL) -> None:
        self._roots = tuple(roots)
        self._interval = interval
        self._files = scan(self._roots)
        self._next = time.monotonic() + interval

    def changed(self) -> str | None:
        now = time.monotonic()
        if now < self._next:
            return None
        self._next = now + self._interval
        files = scan(self._roots)
        if files == self._files:
            return None
        changed = sorted(
            p for p in files.keys() | self._files.keys() if files.get(p) != self._files.get(p)
        )
        self._files = files
        return changed[0]

    def close(self) -> None:
        pass


class WatchfilesWatcher:
    """Changes reported by ``watchfiles`` to a thread; ``wake()`` (called from that thread)
    interrupts the supervisor's wait so that a change is acted on at once.

    If watchfiles fails while running (the root was removed, say), the watcher says so
    through ``log`` and polls from then on.
    """

    def __init__(
        self, roots: Iterable[str], wake: Callable[[], None], log: Callable[[str], None]
    ) -> None:
        self._roots = tuple(os.path.abspath(root) for root in roots)
        self._wake = wake
        self._log = log
        self._stop = threading.Event()
        self._watching = threading.Event()
        self._lock = threading.Lock()
        self._changes: list[str] = []
        self._fallback: PollingWatcher | None = None
        #: Why watchfiles stopped, if it did.
        self.error: Exception | None = None
        self._thread = threading.Thread(target=self._run, name="bolt-dev-watch", daemon=True)
        self._thread.start()

    def wait_watching(self) -> Exception | None:
        """Block until watchfiles watches (so no change made from now on is missed) or has
        failed; the error, if it failed."""
        self._watching.wait()
        return self.error

    def changed(self) -> str | None:
        if self._fallback is not None:
            return self._fallback.changed()
        with self._lock:
            paths, self._changes = self._changes, []
        if self.error is not None and not self._stop.is_set():
            self._log(f"--dev: watchfiles stopped ({self.error}); polling instead")
            self._fallback = PollingWatcher(self._roots)
        return min(paths) if paths else None

    def close(self) -> None:
        self._stop.set()  # watchfiles looks at it every 50 ms
        self._thread.join(timeout=5)

    def _run(self) -> None:
        import watchfiles  # type: ignore[import-not-found]  # optional: bolt-api[dev]

        try:
            for changes in watchfiles.watch(
                *self._roots,
                watch_filter=self._wanted,
                stop_event=self._stop,
                rust_timeout=_WATCHFILES_TIMEOUT_MS,
                yield_on_timeout=True,
            ):
                self._watching.set()
                if changes:
                    with self._lock:
                        self._changes.extend(path for _, path in changes)
                    self._wake_loop()
        except Exception as exc:  # the OS's watch limit, a root that vanished, ...
            self.error = exc
            self._wake_loop()
        finally:
            self._watching.set()

    def _wake_loop(self) -> None:
        if not self._stop.is_set():  # once closed, the loop and its pipe may be gone
            self._wake()

    def _wanted(self, change: object, path: str) -> bool:
        """watchfiles' filter: a ``.py`` file outside the skipped directories."""
        if not path.endswith(".py"):
            return False
        for root in self._roots:
            relative = os.path.relpath(path, root)
            if relative == os.pardir or relative.startswith(os.pardir + os.sep):
                continue  # not under this root
            parent = root
            for part in relative.split(os.sep)[:-1]:
                if skip_dir(parent, part):
                    return False
                parent = os.path.join(parent, part)
            return True
        return False


def open_watcher(
    reloader: Reloader,
    roots: Iterable[str],
    *,
    wake: Callable[[], None],
    log: Callable[[str], None],
) -> Watcher:
    """The watcher ``reloader`` asks for, watching already; says through ``log`` which one.

    With ``auto``, a watchfiles that cannot start (the OS's limit of watches reached, say)
    gives way to polling; with ``watchfiles`` its error is raised.
    """
    roots = tuple(roots)
    shown = ", ".join(roots)
    if reloader == "poll":
        reason = f"{RELOADER_ENV}=poll"
    elif reloader == "watchfiles" or watchfiles_installed():
        watcher = WatchfilesWatcher(roots, wake, log)
        error = watcher.wait_watching()
        if error is None:
            log(f"--dev: watching the .py files under {shown} with watchfiles")
            return watcher
        watcher.close()
        if reloader == "watchfiles":
            raise OSError(f"watchfiles cannot watch {shown}: {error}") from error
        reason = f"watchfiles cannot watch them: {error}"
    else:
        reason = "install watchfiles, pip install 'bolt-api[dev]', to be told of changes instead"
    log(f"--dev: polling the .py files under {shown} every {POLL_INTERVAL:g}s ({reason})")
    return PollingWatcher(roots)


@contextlib.contextmanager
def watching(
    reloader: Reloader,
    roots: Iterable[str],
    *,
    wake: Callable[[], None],
    log: Callable[[str], None],
) -> Iterator[Watcher]:
    """:func:`open_watcher`, closed on leaving."""
    watcher = open_watcher(reloader, roots, wake=wake, log=log)
    try:
        yield watcher
    finally:
        watcher.close()
