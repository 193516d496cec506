"""HOL's background load: slow requests kept in flight while wrk measures a fast endpoint.

Issue 12's head-of-line case: while ``common.SLOW_IN_FLIGHT`` requests to a handler that
blocks for ``common.SLOW_SECONDS`` are in flight, a fast endpoint of the same process should
still answer quickly. ``SlowRequests`` runs this module as its own process, pinned to the
load generator's core (it sends about 20 requests a second): one thread per slow request,
each on its own keep-alive connection, sending the next request as soon as the last one is
answered, so the server always holds that many. It says ``ready`` once every thread has sent
its first request. On SIGTERM it sends no more, waits for the requests in flight to be
answered (a server that runs them one at a time would otherwise still owe them to the next
run, and to the check after the runs), and prints what it saw (one JSON line). The runner
counts its CPU time like the database's: neither the server's nor noise.

Standard library only: ``python -m benchmarks.bench.background PORT PATH N``.
"""

from __future__ import annotations

import http.client
import json
import shlex
import signal
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import Any

__all__ = ["SlowRequests"]

#: How long the requests in flight may take to be answered once the run is over.
_DRAIN_TIMEOUT = 90.0


class SlowRequests:
    """The background client's process: ``start`` waits for ``ready``, ``stop`` its counts."""

    def __init__(self, port: int, path: str, count: int, cpu: int, cwd: str) -> None:
        self.cmd = [
            "taskset",
            "-c",
            str(cpu),
            sys.executable,
            "-m",
            "benchmarks.bench.background",
            str(port),
            path,
            str(count),
        ]
        self.cwd = cwd
        self.process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30.0) -> None:
        self.process = subprocess.Popen(
            self.cmd, cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.process.stdout is not None
        timer = threading.Timer(timeout, self.process.kill)  # a server that never reads
        timer.start()
        try:
            line = self.process.stdout.readline()
        finally:
            timer.cancel()
        if line.strip() != "ready":
            rest = self.process.stdout.read() if self.process.poll() is not None else ""
            self.process.kill()
            raise RuntimeError(f"$ {shlex.join(self.cmd)}: not ready: {line}{rest}")

    def stop(self) -> dict[str, Any]:
        """SIGTERM, then the counts: ``completed``, ``failed``, the first ``problems`` and
        ``drain_s``, the seconds the requests in flight then took to be answered."""
        assert self.process is not None and self.process.stdout is not None
        self.process.send_signal(signal.SIGTERM)
        out, _ = self.process.communicate(timeout=_DRAIN_TIMEOUT + 30)
        for line in out.splitlines():
            if line.startswith("{"):
                counts: dict[str, Any] = json.loads(line)
                return counts
        raise RuntimeError(f"$ {shlex.join(self.cmd)}: no counts: {out[-500:]}")


def _keep_one_in_flight(
    port: int, path: str, state: dict[str, Any], lock: threading.Lock, stop: threading.Event
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=_DRAIN_TIMEOUT)
    first = True
    while not stop.is_set():
        try:
            conn.request("GET", path)
            if first:
                first = False
                with lock:
                    state["sent"] += 1
                    if state["sent"] == state["count"]:
                        print("ready", flush=True)
            response = conn.getresponse()
            body = response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            ok, body = False, f"{type(exc).__name__}: {exc}".encode()
            time.sleep(0.1)  # a server that refuses: no busy loop on the client's core
        with lock:
            state["completed" if ok else "failed"] += 1
            if not ok and len(state["problems"]) < 5:
                state["problems"].append(body[:200].decode(errors="replace"))


def main(argv: list[str]) -> int:
    port, path, count = int(argv[0]), argv[1], int(argv[2])
    state: dict[str, Any] = {"count": count, "sent": 0, "completed": 0, "failed": 0}
    state["problems"] = []
    lock = threading.Lock()
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    threads = [
        threading.Thread(
            target=_keep_one_in_flight, args=(port, path, state, lock, stop), daemon=True
        )
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    stop.wait()
    t0 = time.monotonic()
    for thread in threads:
        thread.join(max(0.0, _DRAIN_TIMEOUT - (time.monotonic() - t0)))
    with lock:
        state["drain_s"] = round(time.monotonic() - t0, 3)
        state["undrained"] = sum(thread.is_alive() for thread in threads)
        keys = ("completed", "failed", "problems", "drain_s", "undrained")
        print(json.dumps({k: state[k] for k in keys}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
