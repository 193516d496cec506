"""The parent's children: how one is started, what the parent knows of it, the table of them.

A child is a fresh interpreter running the command that started the parent
(:func:`child_argv`), with the link in its environment (:mod:`._link`). The parent keeps a
:class:`Child` record of each, reads its messages from a pipe, and holds them all in
:class:`Children`: by pid, and the one serving each slot. Deciding what to do when a child
is ready or exits is the supervisor's business, not this module's.
"""

from __future__ import annotations

import contextlib
import math
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ._link import child_environment

__all__ = [
    "READY",
    "STARTING",
    "STOPPING",
    "Child",
    "Children",
    "Respawns",
    "child_argv",
    "describe_exit",
    "start_child",
]

#: A child's states: starting (not listening yet), ready (serving), stopping (asked to).
STARTING, READY, STOPPING = "starting", "ready", "stopping"
#: Back-off before restarting a child that died: doubles per quick death, up to the cap.
_RESPAWN_FIRST, _RESPAWN_CAP = 0.1, 5.0
#: A child that lived this long resets its slot's back-off.
_STABLE_AFTER = 30.0


@dataclass(eq=False, slots=True)
class Child:
    """The parent's record of one serving process."""

    slot: int
    generation: int
    popen: subprocess.Popen[bytes]
    #: The read end of the pipe the child reports on (non-blocking).
    pipe: int
    started: float
    #: The child this one is replacing (a rolling restart), until it is ready.
    replaces: Child | None = None
    #: When ``--max-lifetime`` retires it (monotonic), or infinity.
    retire_at: float = math.inf
    state: str = STARTING
    #: Why it should be replaced ("" while it should not).
    recycle: str = ""
    kill_at: float = math.inf
    buffer: bytes = b""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def messages(self) -> list[bytes]:
        """The complete lines the child wrote since the last call."""
        try:
            while data := os.read(self.pipe, 512):
                self.buffer += data
        except (BlockingIOError, OSError):
            pass
        *lines, self.buffer = self.buffer.split(b"\n")
        return lines


def start_child(
    argv: Sequence[str],
    *,
    slot: int,
    generation: int,
    listen_fd: int,
    lifeline_fd: int,
    host: str,
    port: int,
    max_requests: int,
    verbose: bool,
    replaces: Child | None,
) -> Child:
    """Start ``argv`` as the child serving ``slot``'s socket ``listen_fd``."""
    read_fd, write_fd = os.pipe()
    try:
        env = child_environment(
            ready_fd=write_fd,
            lifeline_fd=lifeline_fd,
            host=host,
            port=port,
            listen_fd=listen_fd,
            max_requests=max_requests,
            verbose=verbose,
        )
        popen = subprocess.Popen(
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(write_fd, lifeline_fd, listen_fd),
        )
    except BaseException:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    os.set_blocking(read_fd, False)
    return Child(slot, generation, popen, read_fd, time.monotonic(), replaces)


def child_argv() -> list[str]:
    """The command line that started this process, to start a child the same way."""
    import __main__

    args = [sys.executable, *(f"-W{w}" for w in sys.warnoptions)]
    args += [f"-X{k}" if v is True else f"-X{k}={v}" for k, v in sys._xoptions.items()]
    spec = getattr(__main__, "__spec__", None)
    if spec is not None and spec.name and spec.name != "__main__":  # python -m package
        name = spec.name.removesuffix(".__main__")
        return [*args, "-m", name, *sys.argv[1:]]
    return [*args, *sys.argv]


def describe_exit(code: int) -> str:
    """An exit status as the log says it: ``exit code 3``, ``signal SIGKILL``."""
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


class Children:
    """The table of running children: each by pid, and the one serving each slot; their pipes
    are watched by ``selector`` (a child's record is the selector key's data)."""

    def __init__(self, count: int, selector: selectors.BaseSelector) -> None:
        self.by_pid: dict[int, Child] = {}
        #: The child serving each slot (a replacement takes its slot once ready).
        self.slots: list[Child | None] = [None] * count
        self._selector = selector

    def __bool__(self) -> bool:
        return bool(self.by_pid)

    def __iter__(self) -> Iterator[Child]:
        """The children, as a snapshot: the caller may forget some meanwhile."""
        return iter(list(self.by_pid.values()))

    def add(self, child: Child) -> Child:
        self.by_pid[child.pid] = child
        self._selector.register(child.pipe, selectors.EVENT_READ, child)
        return child

    def forget(self, child: Child) -> None:
        """Drop an exited child: its record, its pipe, its slot."""
        self.by_pid.pop(child.pid, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(child.pipe)
        with contextlib.suppress(OSError):
            os.close(child.pipe)
        if self.slots[child.slot] is child:
            self.slots[child.slot] = None

    def terminate(self, child: Child, kill_at: float) -> None:
        """Ask ``child`` to stop gracefully (SIGTERM); it is killed at ``kill_at``."""
        if child.state == STOPPING or self.by_pid.get(child.pid) is not child:
            return  # already asked, or already reaped (its pid may be someone else's now)
        child.state = STOPPING
        child.kill_at = kill_at
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGTERM)

    def kill_all(self) -> None:
        """SIGKILL every child, wait for each, forget them."""
        for child in self:
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGKILL)
        for child in self:
            with contextlib.suppress(ChildProcessError):
                child.popen.wait()
            self.forget(child)

    def reap(self) -> Iterator[tuple[Child, int]]:
        """The children that exited, with their exit codes, one at a time: a child is only
        waited for (its pid freed) after the caller has acted on the previous one, so a
        child the caller signals meanwhile is never a reaped one."""
        for child in self:
            try:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = child.pid, 0
            if pid:
                child.popen.returncode = os.waitstatus_to_exitcode(status)
                yield child, child.popen.returncode
        if os.getpid() == 1:  # PID 1 in a container: adopt and reap orphans too
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass

    def abandon(self) -> None:
        """Leaving on an error: SIGTERM every child and stop tracking it."""
        for child in self:
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGTERM)
            child.popen.returncode = 0  # not ours to wait for any more
            os.close(child.pipe)


class Respawns:
    """When to start a child again in a slot whose child died while serving: soon, then
    later and later while the slot's children keep dying quickly (a crash loop must not eat
    the machine)."""

    def __init__(self) -> None:
        #: Slot -> when (monotonic) to start its next child.
        self.at: dict[int, float] = {}
        self._deaths: dict[int, int] = {}

    def schedule(self, child: Child, now: float) -> float:
        """``child`` died at ``now``: schedule its slot's next child; the delay."""
        quick = now - child.started < _STABLE_AFTER
        deaths = self._deaths.get(child.slot, 0) if quick else 0
        self._deaths[child.slot] = deaths + 1
        delay = min(_RESPAWN_FIRST * 2.0**deaths, _RESPAWN_CAP)
        self.at[child.slot] = now + delay
        return delay

    def due(self, now: float) -> list[int]:
        """The slots whose next child is due, taken off the schedule."""
        slots = [slot for slot, at in self.at.items() if now >= at]
        for slot in slots:
            del self.at[slot]
        return slots

    def clear(self) -> None:
        """Stopping or restarting everything: no slot waits for a respawn."""
        self.at.clear()
