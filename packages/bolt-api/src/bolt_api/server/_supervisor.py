"""The supervising parent: its loop, and what it does when a child is ready or exits.

The lifecycle it implements is described in :mod:`bolt_api.server`; the parts live beside
it: the port in :mod:`._slots`, the children in :mod:`._children`, replacing them in
:mod:`._recycling`, ``--dev`` in :mod:`._reload`, signals in :mod:`._signals`.
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import signal
import sys
import time
from collections.abc import Sequence
from typing import TextIO

from ._children import (
    READY,
    STARTING,
    STOPPING,
    Child,
    Children,
    Respawns,
    child_argv,
    describe_exit,
    start_child,
)
from ._link import READY as READY_MESSAGE
from ._link import RETIRE
from ._options import ProcessOptions
from ._recycling import Recycling, Rollout
from ._reload import Watcher, watching
from ._serve import banner
from ._signals import SignalQueue
from ._slots import Slots, claim

__all__ = ["Supervisor"]

#: Seconds after its graceful timeout before a stopping child is killed outright.
_KILL_GRACE = 10.0
#: Longest the main loop sleeps; also the period of the lifetime and memory checks.
_TICK = 0.5
_HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD)


class Supervisor:
    """The parent: claims the port, runs ``options.count`` children, applies the lifecycle.

    ``argv`` is the command a child runs (default :func:`child_argv`: this command again);
    the child must call :func:`bolt_api.serve`, which finds its
    :func:`~bolt_api.server.parent_link`.
    """

    def __init__(
        self,
        engine: str,
        host: str,
        port: int,
        options: ProcessOptions,
        *,
        backlog: int = 1024,
        argv: Sequence[str] | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.engine = engine
        self.host = host
        self.port = port
        self.backlog = backlog
        self.options = options
        self.argv = list(argv) if argv is not None else child_argv()
        self._out = out if out is not None else sys.stdout
        self._err = err if err is not None else sys.stderr
        self._selector = selectors.DefaultSelector()
        self._children = Children(options.count, self._selector)
        self._respawns = Respawns()
        self._rollout = Rollout()
        self._stopping = False
        self._exit = 0
        self._announced = False
        self._next_check = 0.0
        self._reload_pending = False
        self._lifeline = -1
        self._recycling = Recycling(options, self._log)
        self._sockets: Slots | None = None
        self._watcher: Watcher | None = None

    # -- running ---------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until stopped; the exit status (0 after a signal, non-zero on failure).

        Raises ``OSError`` before starting anything when the address cannot be claimed.
        """
        address = claim(self.host, self.port)
        self.host, self.port = address.host, address.port
        sockets = self._sockets = Slots(address, self.options.count, self.backlog)
        sockets.open()
        lifeline_r, lifeline_w = os.pipe()
        self._lifeline = lifeline_r
        try:
            with SignalQueue(_HANDLED) as signals, contextlib.ExitStack() as stack:
                self._selector.register(signals.fileno(), selectors.EVENT_READ, None)
                if self.options.dev:  # the watcher closes before the signals' pipe
                    self._watcher = stack.enter_context(
                        watching(
                            self.options.reloader,
                            self.options.watch,
                            wake=signals.wake,
                            log=self._log,
                        )
                    )
                self._start_all()
                return self._loop(signals)
        finally:
            self._children.abandon()  # only after an error in the loop
            self._selector.close()
            for fd in (lifeline_r, lifeline_w):
                os.close(fd)
            sockets.close()

    def _loop(self, signals: SignalQueue) -> int:
        while True:
            for key, _ in self._selector.select(self._timeout()):
                if key.data is None:
                    signals.drain()
                else:
                    self._read(key.data)
            forced = self._handle_signals(signals)
            if forced is not None:
                return forced
            self._reap()
            self._tick(time.monotonic())
            if self._stopping and not self._children:
                return self._exit

    def _timeout(self) -> float:
        now = time.monotonic()
        deadlines = [now + _TICK, *self._respawns.at.values()]
        deadlines += [c.kill_at for c in self._children]
        return max(0.0, min(deadlines) - now)

    # -- signals ---------------------------------------------------------------------------

    def _handle_signals(self, signals: SignalQueue) -> int | None:
        for sig in signals.pending():
            if sig in (signal.SIGTERM, signal.SIGINT):
                if not self._stopping:
                    self._log(
                        f"{signal.Signals(sig).name}: stopping gracefully (up to "
                        f"{self.options.graceful_timeout:g}s for requests in flight)"
                    )
                    self._stop(0)
                elif sig == signal.SIGINT:
                    return self._kill_all("second SIGINT")
            elif sig == signal.SIGQUIT:
                return self._kill_all("SIGQUIT")
            elif sig == signal.SIGHUP and not self._stopping:
                self._reload()
        return None

    def _kill_all(self, why: str) -> int:
        self._log(f"{why}: stopping now")
        self._children.kill_all()
        self._rollout.replacement = None
        return 130

    def _reload(self) -> None:
        if self.options.dev:
            self._dev_restart("SIGHUP")
            return
        self._rollout.restart_all()
        self._log(f"SIGHUP: restarting {self.options.count} process(es) one at a time")

    # -- children --------------------------------------------------------------------------

    def _spawn(self, slot: int, *, replaces: Child | None = None, verbose: bool = False) -> Child:
        assert self._sockets is not None
        limit = self._recycling.request_limit()
        child = start_child(
            self.argv,
            slot=slot,
            generation=self._rollout.generation,
            listen_fd=self._sockets.fileno(slot),
            lifeline_fd=self._lifeline,
            host=self.host,
            port=self.port,
            max_requests=limit,
            verbose=verbose,
            replaces=replaces,
        )
        child.retire_at = self._recycling.retire_at(child.started)
        return self._children.add(child)

    def _start_all(self) -> None:
        assert self._sockets is not None
        self._sockets.open()
        self._children.slots = [
            self._spawn(slot, verbose=slot == 0) for slot in range(self.options.count)
        ]

    def _read(self, child: Child) -> None:
        for line in child.messages():
            if line == READY_MESSAGE:
                self._on_ready(child)
            elif line == RETIRE and child.state == READY and not child.recycle:
                child.recycle = "--max-requests reached"

    def _on_ready(self, child: Child) -> None:
        if child.state != STARTING:
            return
        child.state = READY
        if self._stopping:
            return
        self._recycling.on_ready(child.pid)
        old, child.replaces = child.replaces, None
        if old is not None:
            self._rollout.replacement = None
            self._children.slots[child.slot] = child
            why = old.recycle or "SIGHUP"
            self._log(f"process {child.pid} is serving; stopping {old.pid} ({why})")
            self._terminate(old)
            if not self._rollout.due(self._children.slots):
                self._log("every process is up to date")
        elif self._announced:
            self._log(f"process {child.pid} is serving")
        if not self._announced and all(
            c is not None and c.state == READY for c in self._children.slots
        ):
            self._announced = True
            self._out.write(
                banner(self.engine, self.host, self.port, processes=self.options.count) + "\n"
            )
            self._out.flush()

    def _terminate(self, child: Child) -> None:
        kill_at = time.monotonic() + self.options.graceful_timeout + _KILL_GRACE
        self._children.terminate(child, kill_at)

    def _stop(self, code: int) -> None:
        self._stopping = True
        self._exit = code
        self._respawns.clear()
        self._close_sockets()  # new connections are refused once the children close theirs
        for child in self._children:
            self._terminate(child)

    def _close_sockets(self) -> None:
        if self._sockets is not None:
            self._sockets.close()

    def _reap(self) -> None:
        for child, code in self._children.reap():
            self._exited(child, code)

    def _exited(self, child: Child, code: int) -> None:
        self._read(child)  # a "ready" written just before dying still counts
        self._children.forget(child)
        if self._rollout.replacement is child:
            self._rollout.replacement = None
        how = describe_exit(code)
        if child.state == STOPPING or self._stopping:
            if code not in (0, -signal.SIGTERM):
                self._log(f"process {child.pid} stopped with {how}")
            return
        if child.state == STARTING:
            if child.replaces is not None:
                self._log(
                    f"process {child.pid} failed while loading the app or in its "
                    f"lifespan's start-up ({how}); the running processes keep serving"
                )
                self._rollout.failed(self._children.slots, time.monotonic())
            elif self.options.dev:
                self._log(
                    f"the app failed to load ({how}); fix the error above and save: "
                    f"Bolt restarts on the next change"
                )
                self._wait_for_change()
            else:
                self._log(
                    f"process {child.pid} failed while loading the app or in its lifespan's "
                    f"start-up ({how}); stopping"
                )
                self._stop(code if code > 0 else 1)
            return
        # Died while serving.
        replacement = self._rollout.replacement
        replaced = replacement is not None and replacement.replaces is child
        if replaced:
            self._log(f"process {child.pid} died ({how}); its replacement is starting")
            return
        delay = self._respawns.schedule(child, time.monotonic())
        self._log(f"process {child.pid} died ({how}); starting another in {delay:g}s")

    # -- periodic work ---------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        for child in self._children:
            if now >= child.kill_at:
                self._log(f"process {child.pid} did not stop in time; killing it")
                child.kill_at = math.inf
                with contextlib.suppress(OSError):
                    os.kill(child.pid, signal.SIGKILL)
        if self._stopping:
            return
        for slot in self._respawns.due(now):
            self._children.slots[slot] = self._spawn(slot)
        if self._reload_pending and not self._children:
            self._reload_pending = False
            self._start_all()
        if now >= self._next_check:
            self._next_check = now + _TICK
            self._check_recycling(now)
        if self._watcher is not None:
            self._check_files(self._watcher)
        due = self._rollout.next(self._children.slots, now)
        if due is not None:
            why = due.recycle or "SIGHUP"
            self._log(f"replacing process {due.pid} ({why})")
            self._rollout.replacement = self._spawn(due.slot, replaces=due)

    def _check_recycling(self, now: float) -> None:
        for child in self._children.slots:
            if child is None or child.state != READY or child.recycle:
                continue
            child.recycle = self._recycling.reason(child.pid, child.retire_at, now)

    # -- --dev -----------------------------------------------------------------------------

    def _check_files(self, watcher: Watcher) -> None:
        changed = watcher.changed()
        if changed is not None:
            self._dev_restart(f"{os.path.relpath(changed)} changed")

    def _dev_restart(self, why: str) -> None:
        self._log(f"{why}; restarting")
        self._reload_pending = True
        self._respawns.clear()
        for child in self._children:
            self._terminate(child)

    def _wait_for_change(self) -> None:
        self._respawns.clear()
        self._close_sockets()  # refuse connections rather than queue them meanwhile
        for child in self._children:
            self._terminate(child)

    def _log(self, message: str) -> None:
        self._err.write(f"bolt: {message}\n")
        self._err.flush()
