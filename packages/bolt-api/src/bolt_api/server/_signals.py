"""The parent's signals, queued for its loop, and the pipe that wakes the loop.

A signal handler may run between any two bytecodes, so it only records the signal; the
supervisor's loop acts on it. ``signal.set_wakeup_fd`` writes to a pipe the loop's
``select`` watches, so a signal interrupts the wait at once; :meth:`SignalQueue.wake` does the
same for other threads (the ``--dev`` watcher).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterable, Iterator
from types import FrameType, TracebackType
from typing import Any

__all__ = ["SignalQueue"]


class SignalQueue:
    """While entered: ``signals`` are caught into a queue, and :meth:`fileno` becomes
    readable when one arrives (or :meth:`wake` is called). Leaving restores the previous
    handlers."""

    def __init__(self, signals: Iterable[signal.Signals]) -> None:
        self._handled = tuple(signals)
        self._queue: list[int] = []
        self._read = self._write = -1
        self._previous: dict[signal.Signals, Any] = {}
        self._previous_wakeup = -1

    def __enter__(self) -> SignalQueue:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._previous = {sig: signal.signal(sig, self._on_signal) for sig in self._handled}
        self._previous_wakeup = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        signal.set_wakeup_fd(self._previous_wakeup)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        os.close(self._read)
        os.close(self._write)

    def fileno(self) -> int:
        """Readable when a signal arrived or :meth:`wake` was called."""
        return self._read

    def drain(self) -> None:
        """Empty the pipe (the queue keeps the signals)."""
        with contextlib.suppress(OSError):
            while os.read(self._read, 512):
                pass

    def wake(self) -> None:
        """Interrupt the loop's wait; safe from any thread."""
        with contextlib.suppress(OSError):  # full: the loop wakes anyway
            os.write(self._write, b"\0")

    def pending(self) -> Iterator[int]:
        """The signals received, oldest first, each taken off the queue as it is yielded
        (including any that arrive meanwhile)."""
        while self._queue:
            yield self._queue.pop(0)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._queue.append(signum)  # handled by the loop; the wakeup fd interrupts select
