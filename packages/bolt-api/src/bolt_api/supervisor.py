"""Several serving processes on one port, under a supervising parent.

``bolt serve --processes N`` and ``manage.py runbolt --processes N`` turn the process you
start into a *parent* that serves nothing itself: it checks that no other program listens on
the port, opens N listening sockets on it with ``SO_REUSEPORT`` — one per *slot*, the kernel
spreads connections over them — and starts N *children*, each one a fresh interpreter running
the same command line and serving its slot's socket.

The parent keeps the sockets; a child serves a duplicate. So when a child is replaced (SIGHUP,
recycling) or dies, the connections waiting in its slot's queue are not reset: its successor
accepts them. (Were each child to bind its own socket, the connections queued on it when it
closed would be lost — the reason rolling restarts with ``SO_REUSEPORT`` usually drop a few.)

The lifecycle, the same on both engines:

* A child tells the parent it is ready (its socket listens) through a pipe; the parent prints
  the start-up banner once every child is ready.
* SIGTERM or SIGINT: the parent sends SIGTERM to every child; each stops accepting, closes its
  idle keep-alive connections, lets requests in flight finish (``connection: close``) for up
  to ``--graceful-timeout`` seconds, cuts the rest and exits; then the parent exits 0. A second
  SIGINT (or a SIGQUIT) kills the children at once.
* SIGHUP: a rolling restart, one child at a time — start the replacement, wait until it is
  ready, then stop the old one — so no request fails. Because each child is a new interpreter,
  this is also how new code is deployed. A replacement that fails to load the app aborts the
  restart and the running children keep serving.
* A child that dies is started again, with a back-off when it keeps dying. A child that fails
  before it is ready — the app does not import, the port cannot be bound — stops the server
  with a non-zero exit status; its error is on stderr.
* Recycling: ``--max-requests`` (plus up to ``--max-requests-jitter``), ``--max-lifetime``
  and ``--max-rss`` replace a child the same way as SIGHUP does.
* ``--dev``: the parent watches the ``.py`` files under the project and restarts the children
  when one changes; when the app then fails to load, it says so and waits for the next change.
* When the parent dies without stopping them (``kill -9``), the children notice (a pipe closes)
  and stop gracefully on their own.

A child learns all it needs from the ``BOLT_SUPERVISOR`` environment variable;
:func:`parent_link` reads it and :func:`bolt_api.serve` acts on it.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import random
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import Any, TextIO

__all__ = [
    "DEFAULT_GRACEFUL_TIMEOUT",
    "ParentLink",
    "ProcessOptions",
    "SUPERVISOR_ENV",
    "Supervisor",
    "add_arguments",
    "child_argv",
    "options_from",
    "parent_link",
]

#: The environment variable through which a parent describes the link to its child.
SUPERVISOR_ENV = "BOLT_SUPERVISOR"
#: Seconds a graceful stop waits for requests in flight (``--graceful-timeout``).
DEFAULT_GRACEFUL_TIMEOUT = 30.0

#: Seconds after its graceful timeout before a stopping child is killed outright.
_KILL_GRACE = 10.0
#: Back-off before restarting a child that died: doubles per quick death, up to the cap.
_RESPAWN_FIRST, _RESPAWN_CAP = 0.1, 5.0
#: A child that lived this long resets its slot's back-off.
_STABLE_AFTER = 30.0
#: After a replacement failed to load, recycling waits this long before trying again.
_RECYCLE_RETRY = 30.0
#: Longest the main loop sleeps; also the period of the lifetime, memory and file checks.
_TICK = 0.5
#: Extra random share of ``--max-lifetime``, so children started together do not all recycle
#: at the same moment.
_LIFETIME_JITTER = 0.1
#: Directories ``--dev`` never looks into (besides hidden ones and virtualenvs).
_SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "target", "build", "dist"})


# -- options ---------------------------------------------------------------------------------


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
    parser.add_argument(
        "--dev",
        action="store_true",
        help="Development: restart the processes when a .py file under the project changes.",
    )


def options_from(values: Mapping[str, Any], *, watch: Iterable[str] = ()) -> ProcessOptions:
    """:class:`ProcessOptions` from parsed :func:`add_arguments` flags (``ValueError`` if bad)."""
    return ProcessOptions(
        processes=values.get("processes"),
        graceful_timeout=float(values.get("graceful_timeout", DEFAULT_GRACEFUL_TIMEOUT)),
        max_requests=int(values.get("max_requests", 0)),
        max_requests_jitter=int(values.get("max_requests_jitter", 0)),
        max_lifetime=float(values.get("max_lifetime", 0.0)),
        max_rss=float(values.get("max_rss", 0.0)),
        dev=bool(values.get("dev", False)),
        watch=tuple(str(w) for w in watch),
    )


# -- the child's side --------------------------------------------------------------------------


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
        self._send(b"ready\n")

    def retire(self) -> None:
        """Ask to be replaced (``--max-requests`` reached); sent once."""
        if not self._retired:
            self._retired = True
            self._send(b"retire\n")

    def _send(self, message: bytes) -> None:
        with contextlib.suppress(OSError):  # the parent is gone: the lifeline handles that
            os.write(self.ready_fd, message)

    def _watch_parent(self) -> None:
        with contextlib.suppress(OSError):
            while os.read(self.lifeline_fd, 64):
                pass
        # The parent died without stopping us: stop gracefully, as if it had asked.
        os.kill(os.getpid(), signal.SIGTERM)


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


# -- the parent's side ------------------------------------------------------------------------

_STARTING, _READY, _STOPPING = "starting", "ready", "stopping"


@dataclass(eq=False, slots=True)
class _Child:
    slot: int
    generation: int
    popen: subprocess.Popen[bytes]
    pipe: int
    started: float
    #: When ``--max-lifetime`` retires it (monotonic), or infinity.
    retire_at: float
    #: The child this one is replacing (a rolling restart), until it is ready.
    replaces: _Child | None = None
    state: str = _STARTING
    #: Why it should be replaced ("" while it should not).
    recycle: str = ""
    kill_at: float = math.inf
    buffer: bytes = b""

    @property
    def pid(self) -> int:
        return self.popen.pid


class Supervisor:
    """The parent: claims the port, runs ``options.count`` children, applies the lifecycle.

    ``argv`` is the command a child runs (default :func:`child_argv`: this command again);
    the child must call :func:`bolt_api.serve`, which finds its :func:`parent_link`.
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
        self._children: dict[int, _Child] = {}
        self._slots: list[_Child | None] = [None] * options.count
        self._replacement: _Child | None = None
        self._respawn_at: dict[int, float] = {}
        self._deaths: dict[int, int] = {}
        self._generation = 0
        self._recycle_after = 0.0
        self._stopping = False
        self._exit = 0
        self._announced = False
        self._signals: list[int] = []
        self._next_check = 0.0
        self._files: dict[str, int] = {}
        self._reload_pending = False
        self._waiting_for_change = False
        self._selector = selectors.DefaultSelector()
        self._lifeline = -1
        self._max_rss = options.max_rss
        self._family = socket.AF_INET
        #: Each slot's listening socket (``None`` while closed: stopping, --dev waiting).
        self._sockets: list[socket.socket | None] = [None] * options.count

    # -- running ---------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until stopped; the exit status (0 after a signal, non-zero on failure).

        Raises ``OSError`` before starting anything when the address cannot be claimed.
        """
        self._claim()
        self._open_sockets()
        lifeline_r, lifeline_w = os.pipe()
        self._lifeline = lifeline_r
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_r, False)
        os.set_blocking(wake_w, False)
        self._selector.register(wake_r, selectors.EVENT_READ, None)
        handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        previous_wakeup = signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
        try:
            if self.options.dev:
                self._files = _scan(self.options.watch)
            self._start_all()
            return self._loop(wake_r)
        finally:
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for child in list(self._children.values()):  # only after an error in this loop
                with contextlib.suppress(OSError):
                    os.kill(child.pid, signal.SIGTERM)
                child.popen.returncode = 0  # not ours to wait for any more
                os.close(child.pipe)
            self._selector.close()
            for fd in (wake_r, wake_w, lifeline_r, lifeline_w):
                os.close(fd)
            self._close_sockets()

    def _claim(self) -> None:
        """Refuse an address another program listens on; resolve port 0.

        The check binds *without* ``SO_REUSEPORT``, which fails when anybody listens there —
        with ``SO_REUSEPORT`` or not — so the slots never silently share the port with a
        stranger.
        """
        shown = f"{self.host}:{self.port}"
        try:
            infos = socket.getaddrinfo(
                self.host.strip("[]"), self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
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
        self._family = family
        self.host, self.port = str(bound[0]), int(bound[1])

    def _open_sockets(self) -> None:
        """A listening socket for every slot that has none."""
        for slot, existing in enumerate(self._sockets):
            if existing is None:
                sock = socket.socket(self._family, socket.SOCK_STREAM)
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                    sock.bind((self.host, self.port))
                    sock.listen(self.backlog)
                except OSError as exc:
                    sock.close()
                    self._close_sockets()
                    raise OSError(
                        exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror}"
                    ) from exc
                self._sockets[slot] = sock

    def _close_sockets(self) -> None:
        """Close the parent's copies: once the children close theirs, connections are
        refused."""
        for slot, sock in enumerate(self._sockets):
            if sock is not None:
                sock.close()
                self._sockets[slot] = None

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals.append(signum)  # handled by the loop; the wakeup fd interrupts select

    def _loop(self, wake_r: int) -> int:
        while True:
            for key, _ in self._selector.select(self._timeout()):
                if key.data is None:
                    with contextlib.suppress(OSError):
                        while os.read(wake_r, 512):
                            pass
                else:
                    self._read(key.data)
            forced = self._handle_signals()
            if forced is not None:
                return forced
            self._reap()
            self._tick(time.monotonic())
            if self._stopping and not self._children:
                return self._exit

    def _timeout(self) -> float:
        now = time.monotonic()
        deadlines = [now + _TICK, *self._respawn_at.values()]
        deadlines += [c.kill_at for c in self._children.values()]
        return max(0.0, min(deadlines) - now)

    # -- signals ---------------------------------------------------------------------------

    def _handle_signals(self) -> int | None:
        while self._signals:
            sig = self._signals.pop(0)
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
        for child in self._children.values():
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGKILL)
        for child in list(self._children.values()):
            with contextlib.suppress(ChildProcessError):
                child.popen.wait()
            self._forget(child)
        return 130

    def _reload(self) -> None:
        if self.options.dev:
            self._dev_restart("SIGHUP")
            return
        self._generation += 1
        self._recycle_after = 0.0
        self._log(f"SIGHUP: restarting {self.options.count} process(es) one at a time")

    # -- children --------------------------------------------------------------------------

    def _spawn(self, slot: int, *, replaces: _Child | None = None, verbose: bool = False) -> _Child:
        options = self.options
        limit = 0
        if options.max_requests:
            limit = options.max_requests + random.randint(0, options.max_requests_jitter)
        sock = self._sockets[slot]
        assert sock is not None, "a slot's socket is open while it has children"
        read_fd, write_fd = os.pipe()
        try:
            link = {
                "ready_fd": write_fd,
                "lifeline_fd": self._lifeline,
                "host": self.host,
                "port": self.port,
                "listen_fd": sock.fileno(),
                "max_requests": limit,
                "verbose": verbose,
            }
            env = {**os.environ, SUPERVISOR_ENV: json.dumps(link)}
            popen = subprocess.Popen(
                self.argv,
                env=env,
                stdin=subprocess.DEVNULL,
                pass_fds=(write_fd, self._lifeline, sock.fileno()),
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        os.set_blocking(read_fd, False)
        now = time.monotonic()
        retire_at = math.inf
        if options.max_lifetime:
            retire_at = now + options.max_lifetime * (1 + random.uniform(0, _LIFETIME_JITTER))
        child = _Child(slot, self._generation, popen, read_fd, now, retire_at, replaces)
        self._children[popen.pid] = child
        self._selector.register(read_fd, selectors.EVENT_READ, child)
        return child

    def _start_all(self) -> None:
        self._open_sockets()
        self._slots = [self._spawn(slot, verbose=slot == 0) for slot in range(self.options.count)]

    def _read(self, child: _Child) -> None:
        try:
            while data := os.read(child.pipe, 512):
                child.buffer += data
        except (BlockingIOError, OSError):
            pass
        *lines, child.buffer = child.buffer.split(b"\n")
        for line in lines:
            if line == b"ready":
                self._on_ready(child)
            elif line == b"retire" and child.state == _READY and not child.recycle:
                child.recycle = "--max-requests reached"

    def _on_ready(self, child: _Child) -> None:
        if child.state != _STARTING:
            return
        child.state = _READY
        if self._stopping:
            return
        if self._max_rss:
            rss = _rss_mib(child.pid)
            if rss is not None and rss > self._max_rss:
                self._log(
                    f"a process uses {rss:.0f} MiB as soon as it is ready, over --max-rss "
                    f"{self._max_rss:g}: ignoring --max-rss"
                )
                self._max_rss = 0.0
        old, child.replaces = child.replaces, None
        if old is not None:
            self._replacement = None
            self._slots[child.slot] = child
            why = old.recycle or "SIGHUP"
            self._log(f"process {child.pid} is serving; stopping {old.pid} ({why})")
            self._terminate(old)
            if not self._due_for_replacement():
                self._log("every process is up to date")
        elif self._announced:
            self._log(f"process {child.pid} is serving")
        if not self._announced and all(c is not None and c.state == _READY for c in self._slots):
            self._announced = True
            from .serving import banner

            self._out.write(
                banner(self.engine, self.host, self.port, processes=self.options.count) + "\n"
            )
            self._out.flush()

    def _terminate(self, child: _Child) -> None:
        if child.state == _STOPPING or self._children.get(child.pid) is not child:
            return  # already asked, or already reaped (its pid may be someone else's now)
        child.state = _STOPPING
        child.kill_at = time.monotonic() + self.options.graceful_timeout + _KILL_GRACE
        with contextlib.suppress(OSError):
            os.kill(child.pid, signal.SIGTERM)

    def _stop(self, code: int) -> None:
        self._stopping = True
        self._exit = code
        self._respawn_at.clear()
        self._close_sockets()  # new connections are refused once the children close theirs
        for child in list(self._children.values()):
            self._terminate(child)

    def _reap(self) -> None:
        for child in list(self._children.values()):
            try:
                pid, status = os.waitpid(child.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = child.pid, 0
            if pid:
                child.popen.returncode = os.waitstatus_to_exitcode(status)
                self._exited(child, child.popen.returncode)
        if os.getpid() == 1:  # PID 1 in a container: adopt and reap orphans too
            with contextlib.suppress(ChildProcessError):
                while os.waitpid(-1, os.WNOHANG)[0]:
                    pass

    def _forget(self, child: _Child) -> None:
        self._children.pop(child.pid, None)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(child.pipe)
        with contextlib.suppress(OSError):
            os.close(child.pipe)
        if self._slots[child.slot] is child:
            self._slots[child.slot] = None
        if self._replacement is child:
            self._replacement = None

    def _exited(self, child: _Child, code: int) -> None:
        self._read(child)  # a "ready" written just before dying still counts
        self._forget(child)
        how = _describe(code)
        if child.state == _STOPPING or self._stopping:
            if code not in (0, -signal.SIGTERM):
                self._log(f"process {child.pid} stopped with {how}")
            return
        if child.state == _STARTING:
            if child.replaces is not None:
                self._log(
                    f"process {child.pid} failed while loading the app ({how}); the "
                    f"running processes keep serving"
                )
                for current in self._slots:
                    if current is not None:
                        current.generation = self._generation
                self._recycle_after = time.monotonic() + _RECYCLE_RETRY
            elif self.options.dev:
                self._log(
                    f"the app failed to load ({how}); fix the error above and save: "
                    f"Bolt restarts on the next change"
                )
                self._wait_for_change()
            else:
                self._log(f"process {child.pid} failed while loading the app ({how}); stopping")
                self._stop(code if code > 0 else 1)
            return
        # Died while serving.
        replaced = self._replacement is not None and self._replacement.replaces is child
        if replaced:
            self._log(f"process {child.pid} died ({how}); its replacement is starting")
            return
        now = time.monotonic()
        deaths = self._deaths.get(child.slot, 0) if now - child.started < _STABLE_AFTER else 0
        self._deaths[child.slot] = deaths + 1
        delay = min(_RESPAWN_FIRST * 2**deaths, _RESPAWN_CAP)
        self._respawn_at[child.slot] = now + delay
        self._log(f"process {child.pid} died ({how}); starting another in {delay:g}s")

    # -- periodic work ---------------------------------------------------------------------

    def _tick(self, now: float) -> None:
        for child in list(self._children.values()):
            if now >= child.kill_at:
                self._log(f"process {child.pid} did not stop in time; killing it")
                child.kill_at = math.inf
                with contextlib.suppress(OSError):
                    os.kill(child.pid, signal.SIGKILL)
        if self._stopping:
            return
        for slot, at in list(self._respawn_at.items()):
            if now >= at:
                del self._respawn_at[slot]
                self._slots[slot] = self._spawn(slot)
        if self._reload_pending and not self._children:
            self._reload_pending = False
            self._start_all()
        if now >= self._next_check:
            self._next_check = now + _TICK
            self._check_recycling(now)
            if self.options.dev:
                self._check_files()
        if self._replacement is None and now >= self._recycle_after:
            due = self._due_for_replacement()
            if due is not None:
                why = due.recycle or "SIGHUP"
                self._log(f"replacing process {due.pid} ({why})")
                self._replacement = self._spawn(due.slot, replaces=due)

    def _due_for_replacement(self) -> _Child | None:
        for child in self._slots:
            if (
                child is not None
                and child.state == _READY
                and (child.recycle or child.generation < self._generation)
            ):
                return child
        return None

    def _check_recycling(self, now: float) -> None:
        limit = self._max_rss
        for child in self._slots:
            if child is None or child.state != _READY or child.recycle:
                continue
            if now >= child.retire_at:
                child.recycle = "--max-lifetime reached"
            elif limit:
                rss = _rss_mib(child.pid)
                if rss is not None and rss > limit:
                    child.recycle = f"{rss:.0f} MiB resident, over --max-rss {limit:g}"

    # -- --dev -----------------------------------------------------------------------------

    def _check_files(self) -> None:
        files = _scan(self.options.watch)
        if files == self._files:
            return
        changed = sorted(
            p for p in files.keys() | self._files.keys() if files.get(p) != self._files.get(p)
        )
        self._files = files
        shown = os.path.relpath(changed[0]) if changed else "a file"
        self._dev_restart(f"{shown} changed")

    def _dev_restart(self, why: str) -> None:
        self._log(f"{why}; restarting")
        self._waiting_for_change = False
        self._reload_pending = True
        self._respawn_at.clear()
        for child in list(self._children.values()):
            self._terminate(child)

    def _wait_for_change(self) -> None:
        self._waiting_for_change = True
        self._respawn_at.clear()
        self._close_sockets()  # refuse connections rather than queue them meanwhile
        for child in list(self._children.values()):
            self._terminate(child)

    def _log(self, message: str) -> None:
        self._err.write(f"bolt: {message}\n")
        self._err.flush()


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


_PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20 if hasattr(os, "sysconf") else 0.0


def _rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_MIB
    except (OSError, ValueError, IndexError):
        return None


def _scan(roots: Iterable[str]) -> dict[str, int]:
    """``{path: mtime_ns}`` of the ``.py`` files under ``roots`` (hidden dirs, virtualenvs,
    caches and build output skipped)."""
    found: dict[str, int] = {}
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d
                for d in dirnames
                if not d.startswith(".")
                and d not in _SKIP_DIRS
                and not os.path.exists(os.path.join(dirpath, d, "pyvenv.cfg"))
            ]
            for name in filenames:
                if name.endswith(".py"):
                    path = os.path.join(dirpath, name)
                    with contextlib.suppress(OSError):
                        found[path] = os.stat(path).st_mtime_ns
    return found
