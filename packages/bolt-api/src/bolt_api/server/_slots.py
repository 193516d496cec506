"""The port: claimed once, then one listening socket per *slot*, kept by the parent.

:func:`claim` refuses an address that another program listens on and resolves port 0.
:class:`Slots` then opens one ``SO_REUSEPORT`` socket per serving process — the kernel spreads
connections over them. The parent keeps them and each child serves a duplicate, so when a
child is replaced or dies, the connections waiting in its slot's queue are not reset: its
successor accepts them. (Were each child to bind its own socket, the connections queued on it
when it closed would be lost — the reason rolling restarts with ``SO_REUSEPORT`` usually drop
a few.)
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass

__all__ = ["Address", "Slots", "claim"]


@dataclass(frozen=True, slots=True)
class Address:
    """A claimed address: port 0 resolved, the family its host resolves to."""

    family: socket.AddressFamily
    host: str
    port: int


def claim(host: str, port: int) -> Address:
    """Refuse an address another program listens on; resolve port 0.

    The check binds *without* ``SO_REUSEPORT``, which fails when anybody listens there —
    with ``SO_REUSEPORT`` or not — so the slots never silently share the port with a
    stranger.
    """
    shown = f"{host}:{port}"
    try:
        infos = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise OSError(errno.EADDRNOTAVAIL, f"cannot resolve {shown}: {exc}") from exc
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(
                    exc.errno,
                    f"cannot serve on {shown}: another program is already listening there",
                ) from exc
            raise OSError(exc.errno, f"cannot serve on {shown}: {exc.strerror}") from exc
        bound = probe.getsockname()
    return Address(family, str(bound[0]), int(bound[1]))


class Slots:
    """Each slot's listening socket on ``address``; a slot's is ``None`` while closed
    (stopping, or ``--dev`` waiting for a fix)."""

    def __init__(self, address: Address, count: int, backlog: int) -> None:
        self.address = address
        self.backlog = backlog
        self._sockets: list[socket.socket | None] = [None] * count

    def open(self) -> None:
        """A listening socket for every slot that has none."""
        host, port = self.address.host, self.address.port
        for slot, existing in enumerate(self._sockets):
            if existing is None:
                sock = socket.socket(self.address.family, socket.SOCK_STREAM)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    sock.bind((host, port))
                    sock.listen(self.backlog)
                except OSError as exc:
                    sock.close()
                    self.close()
                    raise OSError(
                        exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}"
                    ) from exc
                self._sockets[slot] = sock

    def close(self) -> None:
        """Close the parent's copies: once the children close theirs, connections are
        refused."""
        for slot, sock in enumerate(self._sockets):
            if sock is not None:
                sock.close()
                self._sockets[slot] = None

    def fileno(self, slot: int) -> int:
        """The slot's listening socket, for a child to inherit."""
        sock = self._sockets[slot]
        assert sock is not None, "a slot's socket is open while it has children"
        return sock.fileno()
