"""A real nginx in front of ``bolt serve --processes 2`` (issue 5 §6), on both engines.

nginx (the Debian package: installed here with apt-get when missing and running as root,
otherwise the test is skipped, saying why) runs in the foreground on a free loopback port with
a generated configuration whose pid, logs and temp files live in the test's temp dir. It
proxies to the catalog served with ``--processes 2 --trusted-proxy 127.0.0.1`` using the
upstream settings of ``docs/deployment.md``. Checked: proxied requests (GET, POST, streamed
bodies), the client address Bolt resolves from nginx's ``X-Forwarded-For``, the scheme from
``X-Forwarded-Proto``, and a SIGHUP rolling restart under load with zero failed requests.
Every wait polls a state with a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Server, gone, start_server, wait_for

APP = "tests.apps.catalog:api"


# -- nginx ---------------------------------------------------------------------------------------


def _find_nginx() -> str | None:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def nginx_binary() -> str:
    """nginx, installed from Debian's package when missing (as root only)."""
    found = _find_nginx()
    if found:
        return found
    if getattr(os, "geteuid", lambda: -1)() != 0 or shutil.which("apt-get") is None:
        pytest.skip(
            "nginx is not installed, and the test installs it only as root with "
            "apt-get (Debian: sudo apt-get install nginx)"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "nginx"]):
        result = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        if result.returncode != 0:
            pytest.skip(
                f"could not install nginx ({' '.join(command)} failed: "
                f"{result.stderr.strip()[-300:]})"
            )
    found = _find_nginx()
    if found is None:
        pytest.skip("apt-get installed nginx, but no nginx binary was found")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def nginx_conf(directory: Path, listen: int, upstream: int) -> str:
    # As root, nginx's workers would switch to an unprivileged user that cannot reach the
    # temp dir (pytest's is private); they stay root here, as the master is.
    user = "user root;" if getattr(os, "geteuid", lambda: -1)() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {directory}/{kind}_temp;"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
{user}
daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {directory}/access.log;
{temp}
    upstream bolt {{
        server 127.0.0.1:{upstream};
    }}
    server {{
        listen 127.0.0.1:{listen};
        client_max_body_size 1m;
        location / {{
            proxy_pass http://bolt;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 60s;
        }}
        # What a TLS-terminating nginx sends (this one listens on plain HTTP).
        location /tls/ {{
            proxy_pass http://bolt/;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto https;
        }}
    }}
}}
"""


@dataclass
class Stack:
    bolt: Server
    url: str
    logs: Path

    def error_log(self) -> str:
        path = self.logs / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + "/sync", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.fixture(scope="module")
def stack(
    engine: str, nginx_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """``bolt serve --processes 2 --trusted-proxy 127.0.0.1`` behind a fresh nginx."""
    bolt = start_server(
        [
            "-m",
            "bolt_api",
            "serve",
            APP,
            "--engine",
            engine,
            "--port",
            "0",
            "--processes",
            "2",
            "--trusted-proxy",
            "127.0.0.1",
            "--graceful-timeout",
            "10",
        ],
        engine,
    )
    directory = tmp_path_factory.mktemp(f"nginx-{engine}")
    port = free_port()
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(directory, port, bolt.port))
    nginx = subprocess.Popen(
        [nginx_binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    stack = Stack(bolt, f"http://127.0.0.1:{port}", directory)
    try:
        wait_for(lambda: nginx.poll() is not None or _answers(stack.url), "nginx to answer")
        if nginx.poll() is not None:
            output = nginx.stdout.read() if nginx.stdout else ""
            raise AssertionError(
                f"nginx exited ({nginx.returncode}):\n{output}\n{stack.error_log()}"
            )
        yield stack
    finally:
        if nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)  # graceful
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.kill()
                nginx.wait(timeout=5)
        if nginx.stdout is not None:
            nginx.stdout.close()
        bolt.stop()


# -- proxied requests ------------------------------------------------------------------------


def test_requests_through_nginx(stack: Stack) -> None:
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        got = client.get("/sync")
        assert got.status_code == 200
        assert got.headers["server"].startswith("nginx")
        posted = client.post("/items", json={"name": "n", "price": 1.5})
        assert posted.status_code == 201
        assert posted.json() == {"name": "n", "price": 1.5, "tags": []}
        big = client.get("/stream/big")  # 1 MiB, chunked from Bolt, buffered to disk by nginx
        assert big.status_code == 200
        assert big.content == b"".join(bytes([i]) * 65536 for i in range(16))
        small = client.get("/stream/async", params={"n": 5})
        assert small.text == "0;1;2;3;4;"
        assert client.get("/nowhere").status_code == 404
    assert "[error]" not in stack.error_log()


def test_client_address_from_nginx(stack: Stack) -> None:
    def seen(path: str = "/proxy/client", **headers: str) -> dict[str, Any]:
        response = httpx.get(stack.url + path, headers=headers, timeout=10)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    # nginx sends "203.0.113.50, 127.0.0.1": the test client is 127.0.0.1, itself trusted.
    got = seen(**{"x-forwarded-for": "203.0.113.50"})
    assert (got["host"], got["port"], got["scheme"]) == ("203.0.113.50", 0, "http")
    assert seen(**{"x-forwarded-for": "6.6.6.6, 203.0.113.51"})["host"] == "203.0.113.51"
    # Nothing from the client: nginx's "127.0.0.1" (every hop trusted: the left-most).
    assert seen()["host"] == "127.0.0.1"
    # A garbage entry stops the walk at the last trusted hop, nginx's view of the client.
    assert seen(**{"x-forwarded-for": "203.0.113.52, bogus"})["host"] == "127.0.0.1"
    tls = seen("/tls/proxy/client", **{"x-forwarded-for": "203.0.113.53"})
    assert (tls["host"], tls["scheme"]) == ("203.0.113.53", "https")
    assert tls["absolute"] == "https://127.0.0.1/x?y=1"


# -- rolling restart under load --------------------------------------------------------------


class Load:
    """Threads sending GETs and POSTs through nginx until stopped (at most 30 s)."""

    def __init__(self, url: str, threads: int = 3) -> None:
        self.url = url
        self.ok = 0
        self.failures: list[str] = []
        self.pids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(threads)
        ]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=15)

    def _run(self, index: int) -> None:
        deadline = time.monotonic() + 30  # bounded, whatever happens to the test
        with httpx.Client(base_url=self.url, timeout=15) as client:
            n = 0
            while not self._stop.is_set() and time.monotonic() < deadline:
                n += 1
                try:
                    if (n + index) % 3:
                        response = client.get(
                            "/proxy/client", headers={"x-forwarded-for": f"198.51.100.{index}"}
                        )
                        ok = (
                            response.status_code == 200
                            and response.json()["host"] == f"198.51.100.{index}"
                        )
                        pid = response.json()["pid"] if ok else None
                    else:
                        response = client.post("/items", json={"name": f"n{n}", "price": n})
                        ok = response.status_code == 201 and response.json()["name"] == f"n{n}"
                        pid = None
                    with self._lock:
                        if ok:
                            self.ok += 1
                            if pid is not None:
                                self.pids.add(pid)
                        else:
                            self.failures.append(f"{response.status_code}: {response.text[:200]}")
                except (httpx.HTTPError, ValueError) as exc:
                    with self._lock:
                        self.failures.append(repr(exc))

    def wait_for_requests(self, n: int) -> None:
        start = self.ok
        wait_for(lambda: self.ok >= start + n, f"{n} requests under load")

    def wait_for_pids(self, count: int) -> set[int]:
        wait_for(lambda: len(self.pids) >= count, f"{count} serving processes to answer")
        with self._lock:
            return set(self.pids)


def test_sighup_rolling_restart_through_nginx(stack: Stack) -> None:
    with Load(stack.url) as load:
        before = load.wait_for_pids(2)
        assert len(before) == 2
        assert stack.bolt.process.pid not in before
        load.wait_for_requests(30)
        stack.bolt.process.send_signal(signal.SIGHUP)
        wait_for(lambda: all(gone(pid) for pid in before), "the old processes to stop", 25)
        wait_for(lambda: len(load.pids - before) >= 2, "both new processes to answer")
        load.wait_for_requests(30)
    assert load.failures == [], load.failures[:5]
    assert stack.bolt.alive()
    assert "[error]" not in stack.error_log(), stack.error_log()
