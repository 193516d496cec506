"""The link between a supervising parent and one serving child, both ends.

The parent describes the link in the child's environment (:func:`child_environment`): the
inherited file descriptors — the pipe the child reports on, the parent's lifeline, the slot's
listening socket — the address, and the child's ``--max-requests`` share. The child reads it
back once (:func:`parent_link`) and reports through :class:`ParentLink` one message a line:
:data:`READY` when its socket listens, :data:`RETIRE` when it wants to be replaced. The
lifeline is never written: it reads end-of-file when the parent has died.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from dataclasses import dataclass, field

__all__ = ["READY", "RETIRE", "SUPERVISOR_ENV", "ParentLink", "child_environment", "parent_link"]

#: The environment variable through which a parent describes the link to its child.
SUPERVISOR_ENV = "BOLT_SUPERVISOR"
#: The child's messages, one a line.
READY, RETIRE = b"ready", b"retire"


@dataclass(slots=True)
class ParentLink:
    """A supervised child's link to its parent (see :func:`parent_link`)."""

    #: Where the child reports ``ready`` and ``retire``.
    ready_fd: int
    #: Never written; reads end-of-file when the parent has died.
    lifeline_fd: int
    #: The address the parent claimed (port 0 already resolved) ...
    host: str
    port: int
    #: ... and the slot's listening socket on it, to serve.
    listen_fd: int
    #: Requests after which this child asks to be replaced (0: never).
    max_requests: int = 0
    #: Whether this child prints the start-up report (checks, routes); one child does.
    verbose: bool = False
    _retired: bool = field(default=False, repr=False)

    def ready(self, host: str, port: int) -> None:
        """The engine's ``on_ready``: the socket listens."""
        self._send(READY + b"\n")

    def retire(self) -> None:
        """Ask to be replaced (``--max-requests`` reached); sent once."""
        if not self._retired:
            self._retired = True
            self._send(RETIRE + b"\n")

    def _send(self, message: bytes) -> None:
        with contextlib.suppress(OSError):  # the parent is gone: the lifeline handles that
            os.write(self.ready_fd, message)

    def _watch_parent(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self.lifeline_fd, 64):
                pass
        # The parent died without stopping us: stop gracefully, as if it had asked.
        os.kill(os.getpid(), signal.SIGTERM)


def child_environment(
    *,
    ready_fd: int,
    lifeline_fd: int,
    host: str,
    port: int,
    listen_fd: int,
    max_requests: int,
    verbose: bool,
) -> dict[str, str]:
    """The parent's side: this process's environment plus the link, for a child."""
    link = {
        "ready_fd": ready_fd,
        "lifeline_fd": lifeline_fd,
        "host": host,
        "port": port,
        "listen_fd": listen_fd,
        "max_requests": max_requests,
        "verbose": verbose,
    }
    return {**os.environ, SUPERVISOR_ENV: json.dumps(link)}


_LINK: list[ParentLink | None] = []


def parent_link() -> ParentLink | None:
    """This process's link to its supervising parent, or ``None`` when not supervised.

    The first call takes ``BOLT_SUPERVISOR`` out of the environment (the app's own
    subprocesses are not children of the supervisor), makes SIGHUP harmless (it is the
    parent's signal) and starts watching for the parent's death.
    """
    if _LINK:
        return _LINK[0]
    raw = os.environ.pop(SUPERVISOR_ENV, None)
    link: ParentLink | None = None
    if raw:
        try:
            data = json.loads(raw)
            link = ParentLink(
                int(data["ready_fd"]),
                int(data["lifeline_fd"]),
                str(data["host"]),
                int(data["port"]),
                int(data["listen_fd"]),
                int(data.get("max_requests", 0)),
                bool(data.get("verbose")),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"bad ${SUPERVISOR_ENV}: {raw!r}") from exc
        for fd in (link.ready_fd, link.lifeline_fd, link.listen_fd):
            os.set_inheritable(fd, False)
        if threading.current_thread() is threading.main_thread():
            # The parent's signals: SIGHUP means a rolling restart, and a CONTROL-C reaches
            # the whole process group but the parent decides (the engines take SIGINT over
            # once they serve, for a second CONTROL-C).
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=link._watch_parent, name="bolt-parent-watch", daemon=True).start()
    _LINK.append(link)
    return link
