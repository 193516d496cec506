#!/usr/bin/env python
"""The cross-engine benchmark runner (``nox -s bench -- [options]``; see benchmarks/README.md).

Each target is one server process pinned to one core (``taskset -c 0``), the load generator
(``wrk -t1``) is pinned to the other (``taskset -c 1``). The runner starts every target, waits
for each port to accept connections and checks that every endpoint answers the expected status
and body (anything else fails the whole run). Then, endpoint by endpoint, it warms each target
up and measures the targets in interleaved rounds (run 1 of every target, then run 2, ...; see
``measure_all``): req/s, latency percentiles, and the server's CPU time per request, read from
``/proc`` (utime + stime of the server process, all its threads and child processes) before
and after each run. Every comparison is a ratio within one invocation.

Modes::

    run.py [--targets ...] [--endpoints ...] [--duration S] [--runs N] [--quick]
    run.py --rss-soak N [--targets ...]     RSS after warm-up against RSS after N requests
    run.py --ablation [--endpoints ...]     bolt-rust with each optimisation of ``ABLATIONS``
                                            switched off in turn (``BOLT_ABLATE``)
    run.py --micro [pytest args]            the pytest-benchmark micro-benchmarks
    run.py --profile [--targets ...]        CPU per request split by shared object (perf),
                                            see ``benchmarks/profile.py``
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
VENVS = BENCH / ".venvs"
RESULTS = BENCH / "results"
RAW = RESULTS / "raw"
WRK_DIR = BENCH / "wrk"

sys.path.insert(0, str(ROOT))
from benchmarks.apps import common  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchFailure(Exception):
    """A target did not start, answered wrongly, or wrk saw errors: the run is void."""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------------------------
# Endpoints


def _json_equals(expected: Any) -> Callable[[bytes], str | None]:
    def check(body: bytes) -> str | None:
        try:
            got = json.loads(body)
        except ValueError as exc:
            return f"body is not JSON ({exc}): {body[:200]!r}"
        return None if got == expected else f"expected {expected!r:.200}, got {got!r:.200}"

    return check


def _bytes_equal(expected: bytes) -> Callable[[bytes], str | None]:
    def check(body: bytes) -> str | None:
        if body == expected:
            return None
        return f"expected {len(expected)} bytes, got {len(body)}: {body[:80]!r}"

    return check


@dataclass(frozen=True)
class Endpoint:
    key: str
    name: str
    title: str
    method: str
    path: str
    status: int
    check: Callable[[bytes], str | None] | None = None
    script: str = "report.lua"
    body: bytes | None = None
    needs_django: bool = False


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("E1", "hello", "GET / → JSON hello", "GET", "/", 200, _json_equals(common.HELLO)),
    Endpoint(
        "E2",
        "path-query",
        "GET /items/{id}?q= (int path + str query)",
        "GET",
        f"/items/{common.ITEM_ID}?q={common.ITEM_Q}",
        200,
        _json_equals({"id": common.ITEM_ID, "q": common.ITEM_Q}),
    ),
    Endpoint(
        "E3",
        "post-1k",
        "POST /users, ~1 KB JSON validated into a struct",
        "POST",
        "/users",
        200,
        _json_equals(json.loads(common.USER_BODY)),
        "post_users.lua",
        common.USER_BODY,
    ),
    Endpoint(
        "E4",
        "json-10k",
        "GET /json-10k (100 dicts built per request)",
        "GET",
        "/json-10k",
        200,
        _json_equals(common.make_items()),
    ),
    Endpoint(
        "E5",
        "orm-10",
        "GET /db/rows (Django async ORM, 10 rows, sqlite)",
        "GET",
        "/db/rows",
        200,
        _json_equals(common.expected_rows()),
        needs_django=True,
    ),
    Endpoint(
        "E6",
        "stream-64k",
        "GET /stream (64 KB)",
        "GET",
        "/stream",
        200,
        _bytes_equal(common.STREAM_BODY),
    ),
    Endpoint("E7", "404", "GET /missing → 404", "GET", "/missing", 404),
    Endpoint("E8", "422", "GET /items/abc?q= → 422", "GET", f"/items/abc?q={common.ITEM_Q}", 422),
)
BY_KEY = {e.key: e for e in ENDPOINTS}


# --------------------------------------------------------------------------------------------
# Targets

#: Pinned versions of the peers (each in its own virtualenv under benchmarks/.venvs/).
FASTAPI_REQS = [
    "fastapi==0.165.0",
    "pydantic==2.14.3",
    "uvicorn==0.54.0",
    "uvloop==0.23.0",
    "httptools==0.9.0",
]
UVICORN_REQS = ["uvicorn==0.54.0", "uvloop==0.23.0", "httptools==0.9.0", "msgspec==0.22.0"]
GRANIAN_REQS = ["granian==2.8.7", "uvloop==0.23.0", "msgspec==0.22.0"]
DJANGO_BOLT_VERSION = "0.13.0"


@dataclass(frozen=True)
class VenvSpec:
    name: str
    python: str  # "same" (the runner's interpreter version) or "3.12"
    requirements: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    venv: VenvSpec | None  # None: the runner's own environment (Bolt), or no Python (nginx)
    framework: str | None  # BENCH_FRAMEWORK for the Django project, None: no Django
    distributions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    #: Part of the default ``--targets`` list.
    default: bool = True
    extra_env: tuple[tuple[str, str], ...] = ()
    #: Bolt's engine (``runbolt --engine``); None: not a Bolt target.
    engine: str | None = None
    #: Bolt with its access log on: the runner counts the lines it wrote.
    access_log: bool = False
    #: The runbolt flags that turn the access log on.
    log_args: tuple[str, ...] = ("--access-log",)
    #: The endpoint keys this target runs (None: every endpoint it can serve).
    only: tuple[str, ...] | None = None
    #: The one optimisation this Bolt target switches off (the ablation table), or None.
    ablate: str | None = None

    @property
    def django(self) -> bool:
        return self.framework is not None

    def skip_reason(self, ep: Endpoint) -> str | None:
        """Why this target does not run ``ep`` (short, for the tables), or None."""
        if ep.needs_django and not self.django:
            return "no Django"
        if self.only is not None and ep.key not in self.only:
            return f"{_key_span(self.only)} only"
        return None

    def supports(self, ep: Endpoint) -> bool:
        return self.skip_reason(ep) is None


def _key_span(keys: tuple[str, ...]) -> str:
    """``E1`` to ``E4`` as a range for consecutive endpoint keys, else ``E1, E3``."""
    order = list(BY_KEY)
    idx = sorted(order.index(k) for k in keys)
    if len(idx) > 2 and idx == list(range(idx[0], idx[-1] + 1)):
        return f"{order[idx[0]]}–{order[idx[-1]]}"
    return ", ".join(order[i] for i in idx)


#: Bolt's optimisations the ablation mode switches off one at a time: the Rust engine's through
#: ``BOLT_ABLATE=<name>``, bolt-api's through ``runbolt --ablate <name>`` (see ``ablation_args``).
ABLATIONS: tuple[str, ...] = (
    "zero_copy",
    "lazy_parts",
    "pin_thread",
    "trivial_async",
    "compiled_encoders",
    "rust_params",
)
#: What each name switches off (for the ablation results file; a name missing here is shown
#: without an explanation).
ABLATION_WHAT: dict[str, str] = {
    "zero_copy": "response bodies are copied instead of handed to the Rust engine zero-copy",
    "lazy_parts": "every request part (headers, query, path parameters) is materialised for "
    "every route, whatever the route reads",
    "pin_thread": "a Python thread state is created and destroyed per request instead of "
    "pinned once per Actix worker thread",
    "trivial_async": "`async def` handlers and streamed async generators that never await "
    "go through the asyncio event loop instead of being driven inline",
    "compiled_encoders": "responses are encoded through an `isinstance` ladder per request "
    "instead of per-route compiled encoders",
    "rust_params": "typed path and query parameters are converted in Python instead of in "
    "Rust before the GIL is taken",
}


def _django_pin() -> str:
    """django-bolt's venv gets the Django version Bolt runs with (when django-bolt allows it)."""
    try:
        import django
    except ImportError:
        return "Django>=5.2"
    version = django.__version__
    major, minor = (int(x) for x in version.split(".")[:2])
    return f"Django=={version}" if (major, minor) >= (5, 2) else "Django>=5.2"


def make_targets() -> dict[str, Target]:
    bolt_dists = (
        "bolt-api",
        "bolt-rust",
        "bolt-py",
        "bolt-django",
        "Django",
        "msgspec",
        "uvloop",
        "httptools",
    )
    targets = [
        Target(
            "bolt-rust",
            "Bolt, Rust engine (runbolt --engine rust)",
            None,
            "bolt",
            bolt_dists,
            engine="rust",
        ),
        Target(
            "bolt-rust-log",
            "Bolt, Rust engine with the access log on (runbolt --engine rust --access-log-file -)",
            None,
            "bolt",
            bolt_dists,
            (
                "Runs E1–E4 only: the access log's cost against bolt-rust (issue 4: ≥ 0.85× of "
                "its req/s). `--access-log-file -`: the engine writes each line to stdout "
                "itself (Rust, one write per batch), which the runner sends to the server's "
                "log file under `results/raw/` (a file, never a pipe); the lines written are "
                "counted against the requests served.",
            ),
            engine="rust",
            access_log=True,
            log_args=("--access-log-file", "-"),
            only=("E1", "E2", "E3", "E4"),
        ),
        Target(
            "bolt-rust-logging",
            "Bolt, Rust engine with the access log through Python "
            "logging (runbolt --engine rust --access-log)",
            None,
            "bolt",
            bolt_dists,
            (
                "Not in the default targets: `--access-log` with Django's default LOGGING "
                "(`BENCH_ACCESS_LOG=1`), so each line is a `logging` record of "
                "`django.server` (a Python thread writes them in batches).",
            ),
            default=False,
            extra_env=(("BENCH_ACCESS_LOG", "1"),),
            engine="rust",
            access_log=True,
            only=("E1", "E2", "E3", "E4"),
        ),
        Target(
            "bolt-python",
            "Bolt, Python engine (runbolt --engine python)",
            None,
            "bolt",
            bolt_dists,
            engine="python",
        ),
        Target(
            "django-bolt",
            f"django-bolt {DJANGO_BOLT_VERSION} (runbolt --processes 1)",
            VenvSpec("django-bolt", "3.12", (f"django-bolt=={DJANGO_BOLT_VERSION}", _django_pin())),
            "django-bolt",
            ("django-bolt", "Django", "msgspec"),
            (
                "Python 3.12 (django-bolt needs ≥ 3.12; Bolt and the other Python targets run "
                "on the runner's Python). The interpreter is part of the comparison: E4's "
                "handler and its encoding take about 10 % longer on 3.12.1 than on 3.11.7 here "
                '(36 µs against 40 µs, `python -m timeit -s "from benchmarks.apps.common '
                'import make_items; import msgspec; e = msgspec.json.Encoder()" '
                '"e.encode(make_items())"` from the checkout\'s root with each interpreter); '
                "on E1–E3 the handler is under 2 µs.",
                "access log off, as in every target: "
                "BoltAPI(enable_logging=False) and LOGGING with `django.server` at WARNING "
                "(Django's default logging writes one line per request there).",
            ),
        ),
        Target(
            "django-bolt-log",
            f"django-bolt {DJANGO_BOLT_VERSION} with Django's default logging (access log on)",
            VenvSpec("django-bolt", "3.12", (f"django-bolt=={DJANGO_BOLT_VERSION}", _django_pin())),
            "django-bolt",
            ("django-bolt", "Django", "msgspec"),
            (
                "Not in the default targets: django-bolt with Django's default LOGGING, so "
                "each request is logged through `django.server` (stdout to a file).",
            ),
            default=False,
            extra_env=(("BENCH_ACCESS_LOG", "1"),),
        ),
        Target(
            "fastapi",
            "FastAPI + uvicorn (uvloop, httptools, no access log)",
            VenvSpec("fastapi", "same", tuple(FASTAPI_REQS)),
            None,
            ("fastapi", "pydantic", "starlette", "uvicorn", "uvloop", "httptools"),
        ),
        Target(
            "uvicorn-raw",
            "bare ASGI app on uvicorn + httptools (Python ceiling)",
            VenvSpec("uvicorn-raw", "same", tuple(UVICORN_REQS)),
            None,
            ("uvicorn", "uvloop", "httptools", "msgspec"),
        ),
        Target(
            "granian-rsgi",
            "bare RSGI app on Granian (Rust-server ceiling)",
            VenvSpec("granian", "same", tuple(GRANIAN_REQS)),
            None,
            ("granian", "uvloop", "msgspec"),
        ),
        Target(
            "nginx",
            "nginx `return 200` constants (load-generator ceiling)",
            None,
            None,
            (),
            (
                "Constant responses of the same bytes (`return 200 '...'`; E4 and E6 are "
                "static files, sent with sendfile); nothing is parsed or built: the ceiling of "
                "wrk on this machine.",
            ),
        ),
    ]
    return {t.name: t for t in targets}


@dataclass
class Env:
    """Resolved interpreters and paths for one invocation."""

    args: argparse.Namespace
    tmp: Path
    pythons: dict[str, Path] = field(default_factory=dict)  # target name -> python
    dbs: dict[str, Path] = field(default_factory=dict)
    #: A copy of Bolt's four packages taken when the run began (see ``snapshot_bolt``).
    snapshot: Path | None = None
    git: str | None = None


def base_python_same() -> Path:
    return Path(getattr(sys, "_base_executable", None) or sys.executable)


def find_python312(explicit: str | None) -> Path:
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = (
        [explicit]
        if explicit
        else [str(p) for p in sorted(pyenv_root.glob("versions/3.12*/bin/python3.12"))[::-1]]
        + [p for p in (shutil.which("python3.12"), shutil.which("python3.13")) if p]
    )
    for candidate in candidates:
        try:  # a pyenv shim exists even when that version is not selected: run it to know
            ok = (
                subprocess.run(
                    [candidate, "-c", "import sys; sys.exit(sys.version_info < (3, 12))"],
                    capture_output=True,
                    timeout=30,
                ).returncode
                == 0
            )
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return Path(candidate)
    raise BenchFailure(
        "django-bolt needs Python >= 3.12: none found (pass --python312 PATH, "
        "or `pyenv install 3.12`)"
    )


def ensure_venv(spec: VenvSpec, args: argparse.Namespace) -> Path:
    """Create (or reuse) benchmarks/.venvs/<name> with exactly ``spec.requirements``."""
    base = find_python312(args.python312) if spec.python == "3.12" else base_python_same()
    root = VENVS / spec.name
    python = root / "bin" / "python"
    stamp = root / "bench-stamp.json"
    want = {"python": str(base), "requirements": list(spec.requirements)}
    if python.exists() and stamp.exists():
        try:
            if json.loads(stamp.read_text()) == want:
                return python
        except ValueError:
            pass
    log(f"creating venv {root.relative_to(ROOT)} ({base}): {' '.join(spec.requirements)}")
    if root.exists():
        shutil.rmtree(root)
    _check_call([str(base), "-m", "venv", str(root)])
    _check_call(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            *spec.requirements,
        ]
    )
    stamp.write_text(json.dumps(want, indent=1))
    return python


def _check_call(cmd: list[str], **kw: Any) -> None:
    result = subprocess.run(cmd, **kw)
    if result.returncode != 0:
        raise BenchFailure(f"command failed ({result.returncode}): {shlex.join(cmd)}")


def target_env(target: Target, env: Env) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    out["PYTHONPATH"] = str(ROOT)
    if target.framework == "bolt" and env.snapshot is not None:
        out["PYTHONPATH"] = f"{env.snapshot}{os.pathsep}{ROOT}"
    out["PYTHONUNBUFFERED"] = "1"
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    if target.django:
        out["DJANGO_SETTINGS_MODULE"] = "benchmarks.apps.djproject.settings"
        out["BENCH_FRAMEWORK"] = target.framework or ""
        out["BOLT_BENCH_DB"] = str(env.dbs[target.name])
    # Bolt's optimisations are all on unless the target switches some off (--ablation): a
    # BOLT_ABLATE left in the runner's environment would skew results that do not name it.
    out.pop("BOLT_ABLATE", None)
    out.update(target.extra_env)
    return out


def server_command(target: Target, env: Env, port: int) -> list[str]:
    py = str(env.pythons.get(target.name, sys.executable))
    host = "127.0.0.1"
    if target.engine is not None:  # Bolt
        return [
            py,
            "-m",
            "django",
            "runbolt",
            "--engine",
            target.engine,
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            "1",
            *(target.log_args if target.access_log else ()),
            *ablation_args(target),
        ]
    if target.name in ("django-bolt", "django-bolt-log"):
        return [
            py,
            "-m",
            "django",
            "runbolt",
            "--host",
            host,
            "--port",
            str(port),
            "--processes",
            "1",
            "--workers",
            "1",
        ]
    if target.name in ("fastapi", "uvicorn-raw"):
        app = (
            "benchmarks.apps.fastapi_app:app"
            if target.name == "fastapi"
            else "benchmarks.apps.asgi_app:app"
        )
        extra = [] if target.name == "fastapi" else ["--lifespan", "off"]
        return [
            py,
            "-m",
            "uvicorn",
            app,
            "--host",
            host,
            "--port",
            str(port),
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
            *extra,
        ]
    if target.name == "granian-rsgi":
        granian = str(Path(py).parent / "granian")
        return [
            granian,
            "--interface",
            "rsgi",
            "--host",
            host,
            "--port",
            str(port),
            "--workers",
            "1",
            "--runtime-threads",
            "1",
            "--http",
            "1",
            "--loop",
            "uvloop",
            "--no-ws",
            "--no-access-log",
            "--log-level",
            "warning",
            "benchmarks.apps.rsgi_app:app",
        ]
    if target.name == "nginx":
        conf = write_nginx_conf(env.tmp / "nginx", port)
        return [
            nginx_binary(),
            "-p",
            str(conf.parent),
            "-c",
            str(conf),
            "-e",
            str(conf.parent / "error.log"),
        ]
    raise AssertionError(target.name)


def nginx_binary() -> str:
    for candidate in (shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    raise BenchFailure(
        "nginx is not installed (the bench session installs it with apt-get "
        "when run as root: apt-get install nginx)"
    )


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def write_nginx_conf(directory: Path, port: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    directory.parent.chmod(0o755)
    stream = directory / "stream.bin"
    stream.write_bytes(common.STREAM_BODY)
    stream.chmod(0o644)
    e1 = _compact(common.HELLO)
    e2 = _compact({"id": common.ITEM_ID, "q": common.ITEM_Q})
    e3 = _compact(json.loads(common.USER_BODY))
    items = directory / "json-10k.json"  # too long for a config parameter (4 KB)
    items.write_text(_compact(common.make_items()))
    items.chmod(0o644)
    e8 = _compact({"detail": [{"loc": ["path", "id"], "msg": "not an integer"}]})
    for text in (e1, e2, e3, e8):
        assert "'" not in text and "$" not in text and "\\" not in text
    temp = directory / "temp"
    temp.mkdir(exist_ok=True)
    temp.chmod(0o755)
    conf = directory / "nginx.conf"
    conf.write_text(f"""\
worker_processes 1;
daemon off;
master_process on;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nodelay on;
    # nginx closes a keep-alive connection after 1000 requests by default; the other targets
    # never do, so neither may nginx (wrk would measure reconnects).
    keepalive_requests 1000000000;
    keepalive_timeout 65;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        default_type application/json;
        location = / {{ return 200 '{e1}'; }}
        location ~ "^/items/[0-9]+$" {{ return 200 '{e2}'; }}
        location ~ "^/items/" {{ return 422 '{e8}'; }}
        location = /users {{ return 200 '{e3}'; }}
        location = /json-10k {{ alias {items}; }}
        location = /stream {{ default_type application/octet-stream; alias {stream}; }}
    }}
}}
""")
    return conf


# --------------------------------------------------------------------------------------------
# /proc


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of each process (all its threads), summed."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / CLK_TCK


def memory_kb(pids: list[int]) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in kB, summed over the processes."""
    total = {"rss_kb": 0, "hwm_kb": 0}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmRSS:"):
                total["rss_kb"] += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                total["hwm_kb"] += int(line.split()[1])
    return total


def core_busy_seconds(cpus: tuple[int, ...]) -> dict[int, float]:
    """Time each CPU spent running tasks (user, nice, system, steal) from /proc/stat.

    irq and softirq time is left out: on loopback it is mostly the benchmark's own packets,
    which no process is charged for.
    """
    busy: dict[int, float] = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *vals = line.split()
            cpu = int(name[3:])
            if cpu in cpus:
                v = [int(x) for x in vals]
                busy[cpu] = (v[0] + v[1] + v[2] + v[7]) / CLK_TCK
    return busy


# --------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(eq=False)
class Server:
    target: Target
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        """The end of the server's log (only its last 64 KB are read: an access log is big)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(max(0, f.seek(0, os.SEEK_END) - 65536))
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM the server (it is its own process group), then SIGKILL what is left."""
        if self in LIVE:
            LIVE.remove(self)
        pgid = self.process.pid
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                log(f"{self.target.name}: no exit 10 s after SIGTERM, sending SIGKILL")
                self.process.kill()
                self.process.wait(timeout=10)
        # Children (a Granian worker, an nginx worker) left behind in the group.
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.killpg(pgid, signal.SIGKILL)


#: Servers started and not yet stopped: ``main`` stops them whatever happens.
LIVE: list[Server] = []


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the runner dies, so no server outlives it."""
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def start_server(target: Target, env: Env, log_path: Path, timeout: float = 90.0) -> Server:
    port = free_port()
    cmd = ["taskset", "-c", str(env.args.server_cpu), *server_command(target, env, port)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as out:
        out.write(f"$ {shlex.join(cmd)}\n".encode())
        out.flush()
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=target_env(target, env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    server = Server(target, port, process, log_path)
    LIVE.append(server)
    deadline = time.monotonic() + timeout
    while True:
        if not server.alive():
            raise BenchFailure(
                f"{target.name} exited with {process.returncode} before "
                f"listening:\n{server.log_tail()}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise BenchFailure(
                f"{target.name} did not listen on :{port} within {timeout:.0f} s:"
                f"\n{server.log_tail()}"
            )
        time.sleep(0.02)  # polling interval, not a settle delay
    return server


def fetch(port: int, ep: Endpoint) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"} if ep.body is not None else {}
        conn.request(ep.method, ep.path, body=ep.body, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def verify(server: Server, endpoints: list[Endpoint]) -> dict[str, dict[str, Any]]:
    """Check every endpoint's status and body; raise BenchFailure on the first mismatch."""
    seen: dict[str, dict[str, Any]] = {}
    for ep in endpoints:
        try:
            status, headers, body = fetch(server.port, ep)
        except (OSError, http.client.HTTPException) as exc:
            raise BenchFailure(
                f"{server.target.name} {ep.key} {ep.method} {ep.path}: "
                f"{type(exc).__name__}: {exc}\n{server.log_tail()}"
            ) from exc
        if status != ep.status:
            raise BenchFailure(
                f"{server.target.name} {ep.key} {ep.method} {ep.path}: expected "
                f"status {ep.status}, got {status}: {body[:300]!r}"
            )
        if ep.check is not None:
            problem = ep.check(body)
            if problem:
                raise BenchFailure(
                    f"{server.target.name} {ep.key} {ep.method} {ep.path}: {problem}"
                )
        framing = (
            "chunked"
            if "chunked" in headers.get("transfer-encoding", "")
            else f"content-length {headers.get('content-length')}"
        )
        seen[ep.key] = {
            "status": status,
            "bytes": len(body),
            "framing": framing,
            "content_type": headers.get("content-type"),
        }
    return seen


# --------------------------------------------------------------------------------------------
# wrk


def wait_for_quiet(args: argparse.Namespace) -> float:
    """Wait (up to ``--quiet-timeout`` s) until both benchmark cores are nearly idle.

    Called between runs, when the server under test is idle: busy time then is someone
    else's (another build or test suite on a shared machine). Returns the seconds waited.
    """
    cpus = (args.server_cpu, args.client_cpu)
    t0 = time.monotonic()
    while True:
        before = core_busy_seconds(cpus)
        time.sleep(0.5)
        after = core_busy_seconds(cpus)
        load = max((after[c] - before[c]) / 0.5 for c in cpus)
        waited = time.monotonic() - t0
        if load <= args.max_noise or waited >= args.quiet_timeout:
            if waited > 5:
                log(
                    f"  waited {waited:.0f} s for other load on the benchmark cores to stop "
                    f"(now {load:.0%})"
                )
            return waited


def run_wrk(
    server: Server,
    ep: Endpoint,
    duration: int,
    args: argparse.Namespace,
    raw_log: Path | None = None,
) -> dict[str, Any]:
    """One wrk run; returns wrk's summary plus server CPU/RSS and core load during it."""
    script = WRK_DIR / ep.script
    url = f"http://127.0.0.1:{server.port}{ep.path}"
    cmd = [
        "taskset",
        "-c",
        str(args.client_cpu),
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    wrk_env = {**os.environ, "BOLT_BENCH_BODY": str(common.USER_BODY_PATH)}
    cpus = (args.server_cpu, args.client_cpu)
    pids = process_tree(server.pid)
    cpu0 = cpu_seconds(pids)
    busy0 = core_busy_seconds(cpus)
    t0 = time.monotonic()
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=wrk_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert proc.stdout is not None
    output = proc.stdout.read().decode(errors="replace")
    _, status, rusage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - t0
    pids = process_tree(server.pid)
    cpu1 = cpu_seconds(pids)
    busy1 = core_busy_seconds(cpus)
    mem = memory_kb(pids)
    if raw_log is not None:
        with open(raw_log, "a") as f:
            f.write(f"$ {shlex.join(cmd)}\n{output}\n")
    if proc.returncode != 0:
        raise BenchFailure(
            f"wrk failed ({proc.returncode}) on {server.target.name} {ep.key}:\n{output}"
        )
    line = next((ln for ln in output.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise BenchFailure(f"no summary from wrk on {server.target.name} {ep.key}:\n{output}")
    summary = json.loads(line.removeprefix("BENCH_JSON "))
    requests = summary["requests"]
    errors = summary["errors"]
    name = f"{server.target.name} {ep.key} ({ep.method} {ep.path})"
    if not server.alive():
        raise BenchFailure(f"{name}: the server died during the run:\n{server.log_tail()}")
    if requests <= 0:
        raise BenchFailure(f"{name}: wrk completed no request:\n{output}")
    if ep.status < 400 and errors["status"]:
        raise BenchFailure(
            f"{name}: {errors['status']} of {requests} responses were 4xx/5xx "
            f"(expected all {ep.status}):\n{output}"
        )
    if ep.status >= 400 and errors["status"] != requests:
        raise BenchFailure(
            f"{name}: only {errors['status']} of {requests} responses were "
            f"4xx/5xx (expected all {ep.status}):\n{output}"
        )
    socket_errors = errors["read"] + errors["write"] + errors["timeout"]
    if errors["connect"] or socket_errors > 0.01 * requests:
        raise BenchFailure(f"{name}: socket errors {errors}:\n{output}")
    seconds = summary["duration_us"] / 1e6
    server_cpu = cpu1 - cpu0
    client_cpu = rusage.ru_utime + rusage.ru_stime
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
        "latency_us": summary["latency_us"],
        "errors": errors,
        "bytes": summary["bytes"],
        "server_cpu_s": server_cpu,
        "cpu_us_per_req": server_cpu / requests * 1e6,
        "server_util": server_cpu / wall,
        "client_util": client_cpu / wall,
        # busy time on each core not accounted to the server / wrk: other processes, softirq
        "other_server_core": max(
            0.0, (busy1[args.server_cpu] - busy0[args.server_cpu]) - server_cpu
        )
        / wall,
        "other_client_core": max(
            0.0, (busy1[args.client_cpu] - busy0[args.client_cpu]) - client_cpu
        )
        / wall,
        "rss_kb": mem["rss_kb"],
        "hwm_kb": mem["hwm_kb"],
    }


# --------------------------------------------------------------------------------------------
# Preparation


def prepare(targets: list[Target], env: Env) -> None:
    args = env.args
    for target in targets:
        if target.venv is not None:
            env.pythons[target.name] = ensure_venv(target.venv, args)
        elif target.name != "nginx":
            env.pythons[target.name] = Path(sys.executable)
    for target in targets:
        if not target.django:
            continue
        db = env.tmp / f"{target.name}.sqlite3"
        env.dbs[target.name] = db
        tenv = target_env(target, env)
        py = str(env.pythons[target.name])
        for cmd in (
            [py, "-m", "django", "migrate", "--run-syncdb", "--verbosity", "0"],
            [py, "-m", "django", "bench_seed"],
        ):
            result = subprocess.run(cmd, cwd=ROOT, env=tenv, capture_output=True, text=True)
            if result.returncode != 0:
                raise BenchFailure(
                    f"{target.name}: {shlex.join(cmd)} failed:\n{result.stdout}{result.stderr}"
                )


def versions(targets: list[Target], env: Env) -> dict[str, str]:
    out: dict[str, str] = {}
    for target in targets:
        if target.name == "nginx":
            r = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True)
            out[target.name] = (r.stderr or r.stdout).strip().removeprefix("nginx version: ")
            continue
        py = str(env.pythons[target.name])
        code = (
            "import importlib.metadata as m, platform, sys\n"
            "names = sys.argv[1:]\n"
            "parts = []\n"
            "for n in names:\n"
            "    try: parts.append(f'{n} {m.version(n)}')\n"
            "    except m.PackageNotFoundError: parts.append(f'{n} (missing)')\n"
            "print(', '.join(parts + ['Python ' + platform.python_version()]))\n"
        )
        r = subprocess.run([py, "-c", code, *target.distributions], capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchFailure(f"cannot read versions for {target.name}: {r.stderr}")
        text = r.stdout.strip()
        if target.framework == "bolt":
            text += (
                f", cargo profile {rust_profile(env.snapshot)}, commit {env.git or git_describe()}"
            )
        out[target.name] = text
    return out


BOLT_PACKAGES = ("bolt_api", "bolt_py", "bolt_django", "bolt_rust")


def snapshot_bolt(tmp: Path) -> Path:
    """Copy Bolt's four packages (the built extension included) out of the checkout.

    Bolt is installed editable, so its servers would import whatever the checkout holds at
    the moment they start: on a shared checkout another session can edit a module or rebuild
    the extension (``nox -s tests`` builds the ``fast`` profile) between two targets. The
    Bolt targets run from this copy (first on ``PYTHONPATH``), so both engines are measured
    on the same code, the code the results file names. Under ``nox -s bench`` the extension
    copied is the session's own build, ``target/$BOLT_RUST_PROFILE/lib_bolt.so``.
    """
    import importlib.util

    dest = tmp / "bolt-snapshot"
    for name in BOLT_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise BenchFailure(f"{name} is not installed: run the benchmark with `nox -s bench`")
        source = Path(next(iter(spec.submodule_search_locations)))
        shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    # The session's own build: the extension in the checkout may already be another's.
    profile = os.environ.get("BOLT_RUST_PROFILE")
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    built = target_dir / (profile or "-") / "lib_bolt.so"
    installed = sorted((dest / "bolt_rust").glob("_bolt*.so"))
    if profile and built.exists() and installed:
        shutil.copyfile(built, installed[0])
    return dest


def rust_profile(snapshot: Path | None) -> str:
    """The cargo profile the bolt_rust extension was built with, found by content."""
    if snapshot is None:
        return "unknown"
    built_so = sorted((snapshot / "bolt_rust").glob("_bolt*.so"))
    if not built_so:
        return "unknown (no extension in bolt_rust)"
    installed = built_so[0].read_bytes()
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "fast", "profiling", "debug"):
        built = target_dir / profile / "lib_bolt.so"
        if built.exists() and built.read_bytes() == installed:
            return profile
    return "unknown (matches no build in target/)"


def check_profile(env: Env) -> str:
    """The extension must be the build the session asked for (``BOLT_RUST_PROFILE``)."""
    found = rust_profile(env.snapshot)
    wanted = os.environ.get("BOLT_RUST_PROFILE")
    if wanted and found != wanted:
        raise BenchFailure(
            f"the installed bolt_rust extension is the {found!r} build, not the "
            f"{wanted!r} one this session built (another session rebuilt it?): "
            "run the benchmark again"
        )
    return found


def git_describe() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "packages"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" + uncommitted changes in packages/" if dirty else "")


def machine_info(args: argparse.Namespace) -> dict[str, str]:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    os_name = "unknown"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_version = (
        (wrk_v.stdout or wrk_v.stderr).splitlines()[0] if (wrk_v.stdout or wrk_v.stderr) else "?"
    )
    return {
        "nproc": nproc,
        "cpu": model,
        "kernel": platform.release(),
        "os": os_name,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "wrk": wrk_version.split(" Copyright")[0].strip(),
        "runner_python": platform.python_version(),
        "server_cpu": str(args.server_cpu),
        "client_cpu": str(args.client_cpu),
    }


def command_line() -> str:
    return os.environ.get("BOLT_BENCH_COMMAND") or shlex.join(
        ["python", "benchmarks/run.py", *sys.argv[1:]]
    )


# --------------------------------------------------------------------------------------------
# The benchmark


#: In every access-log line (the request line; bolt_rust's access_log.rs, bolt_py's).
_ACCESS_MARK = b' HTTP/1.1" '
_DROPPED = re.compile(rb"access log behind; (\d+) line")


def count_access_log(path: Path, offset: int) -> dict[str, int]:
    """Access-log lines in ``path`` after ``offset``, and the lines Bolt said it dropped.

    Bolt drops a line rather than block a worker when its writer thread is behind, and says
    so on stderr at each power of two: ``dropped`` is a lower bound.
    """
    lines = dropped = 0
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f:
            if _ACCESS_MARK in line:
                lines += 1
            elif (m := _DROPPED.search(line)) is not None:
                dropped = max(dropped, int(m.group(1)))
    return {"lines": lines, "dropped": dropped}


@dataclass(eq=False)
class Measured:
    """One target under measurement: its live server and what has been measured so far."""

    target: Target
    server: Server
    endpoints: list[Endpoint]
    log_path: Path
    log_offset: int
    wrk_log: Path
    result: dict[str, Any]
    total_requests: int = 0


def open_target(target: Target, endpoints: list[Endpoint], env: Env, logs: Path) -> Measured:
    """Start ``target``'s server, check every endpoint it serves, and note its RSS."""
    eps = [e for e in endpoints if target.supports(e)]
    log(f"{target.name}: starting ({target.description})")
    log_path = logs / f"{target.name}.log"
    log_offset = log_path.stat().st_size if log_path.exists() else 0  # after the preflight's
    t_start = time.monotonic()
    server = start_server(target, env, log_path)
    startup = time.monotonic() - t_start
    seen = verify(server, eps)
    mem_start = memory_kb(process_tree(server.pid))
    log(
        f"{target.name}: pid {server.pid}, listening after {startup:.2f} s, "
        f"{len(eps)} endpoints verified, RSS {mem_start['rss_kb'] / 1024:.1f} MB"
    )
    result: dict[str, Any] = {
        "endpoints": {},
        "verified": seen,
        "startup_s": startup,
        "mem_start": mem_start,
    }
    return Measured(
        target, server, eps, log_path, log_offset, logs / f"{target.name}.wrk.log", result
    )


def measured_run(m: Measured, ep: Endpoint, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """One counted run of ``ep`` against ``m``, repeated while it is noisy (up to --retries).

    Returns the run and how many noisy attempts were thrown away before it.
    """
    retried = 0
    while True:
        wait_for_quiet(args)
        run = run_wrk(m.server, ep, args.duration, args, m.wrk_log)
        m.total_requests += run["requests"]
        # Noisy: someone else took time on the server's core; or the server was not the
        # bottleneck (below 90 %) while someone else used wrk's core or neither kept its core
        # busy (the VM lost CPU time some other way).
        noisy = run["other_server_core"] > args.max_noise or (
            run["server_util"] < 0.90
            and (
                run["other_client_core"] > args.max_noise
                or max(run["server_util"], run["client_util"]) < 0.80
            )
        )
        run["noisy"] = noisy
        if not noisy or retried >= args.retries:
            return run, retried
        retried += 1
        log(
            f"  {m.target.name} {ep.key}: noisy run (other load "
            f"{run['other_server_core']:.0%} / {run['other_client_core']:.0%}, server "
            f"{run['server_util']:.0%}, wrk {run['client_util']:.0%}), repeating it"
        )


def close_target(m: Measured) -> dict[str, Any]:
    """Check the endpoints once more after the load, note RSS, stop, count the access log."""
    target, result = m.target, m.result
    try:
        verify(m.server, m.endpoints)  # still alive and still right after the load
        result["mem_end"] = memory_kb(process_tree(m.server.pid))
        result["total_requests"] = m.total_requests
    finally:
        m.server.stop()
    if target.access_log:  # counted once the server has stopped and its writer has flushed
        counted = count_access_log(m.log_path, m.log_offset)
        # wrk's requests plus verify()'s, before and after (wrk does not count the responses
        # still in flight when it stops, so a few more lines than this are normal).
        counted["served"] = m.total_requests + 2 * len(m.endpoints)
        result["access_log"] = counted
        log(
            f"{target.name}: {counted['lines']:,} access-log lines for {counted['served']:,} "
            f"requests served"
            + (f", at least {counted['dropped']:,} lines dropped" if counted["dropped"] else "")
        )
    return result


def measure_all(
    targets: list[Target], endpoints: list[Endpoint], env: Env, logs: Path
) -> dict[str, dict[str, Any]]:
    """Measure every target on every endpoint, the targets' runs interleaved.

    Every server is started first and stays up (idle servers cost nothing on the server
    core). For each endpoint each target is warmed up, then the runs go in rounds: run 1 of
    every target, then run 2 of every target, ..., the order of the targets rotated by one
    each round. A target's runs are so spread over the same minutes as its peer's: a slow
    patch of this shared VM lands on both sides of a ratio instead of on whichever target
    happened to be measured during it (measured one target after another, the same build
    read 1.05 and 1.16 times django-bolt's req/s on E1 an hour apart).
    """
    args = env.args
    opened: list[Measured] = []
    try:
        for target in targets:
            opened.append(open_target(target, endpoints, env, logs))
        for ep in endpoints:
            here = [m for m in opened if ep in m.endpoints]
            if not here:
                continue
            log(f"{ep.key} {ep.name}: {len(here)} targets × {args.runs} runs, interleaved")
            if args.warmup > 0:
                for m in here:
                    m.total_requests += run_wrk(m.server, ep, args.warmup, args, m.wrk_log)[
                        "requests"
                    ]
            runs: dict[str, list[dict[str, Any]]] = {m.target.name: [] for m in here}
            retried = dict.fromkeys(runs, 0)
            for round_no in range(args.runs):
                shift = round_no % len(here)
                for m in here[shift:] + here[:shift]:
                    run, thrown = measured_run(m, ep, args)
                    runs[m.target.name].append(run)
                    retried[m.target.name] += thrown
            for m in here:
                mine = runs[m.target.name]
                rps = [r["rps"] for r in mine]
                cpu = [r["cpu_us_per_req"] for r in mine]
                p99 = statistics.median(r["latency_us"]["p99"] for r in mine) / 1000
                log(
                    f"  {m.target.name:<14} {statistics.median(rps):>10,.0f} req/s "
                    f"[{min(rps):,.0f}–{max(rps):,.0f}]  {statistics.median(cpu):7.1f} µs "
                    f"CPU/req  p99 {p99:.2f} ms  "
                    f"server {statistics.median(r['server_util'] for r in mine):.0%} "
                    f"wrk {statistics.median(r['client_util'] for r in mine):.0%}"
                )
                m.result["endpoints"][ep.key] = {"runs": mine, "retried": retried[m.target.name]}
        return {m.target.name: close_target(m) for m in opened}
    finally:
        for m in opened:
            m.server.stop()


def preflight(targets: list[Target], endpoints: list[Endpoint], env: Env, logs: Path) -> None:
    """Start, verify and stop every target before measuring anything: fail in seconds."""
    for target in targets:
        server = start_server(target, env, logs / f"{target.name}.log")
        try:
            seen = verify(server, [e for e in endpoints if target.supports(e)])
        finally:
            server.stop()
        log(f"preflight {target.name}: OK ({', '.join(seen)})")


def summarize(runs: list[dict[str, Any]]) -> dict[str, float]:
    rps = [r["rps"] for r in runs]
    return {
        "rps": statistics.median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "cpu_us": statistics.median(r["cpu_us_per_req"] for r in runs),
        "cpu_min": min(r["cpu_us_per_req"] for r in runs),
        "cpu_max": max(r["cpu_us_per_req"] for r in runs),
        "p50_ms": statistics.median(r["latency_us"]["p50"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["latency_us"]["p99"] for r in runs) / 1000,
        "server_util": statistics.median(r["server_util"] for r in runs),
        "client_util": statistics.median(r["client_util"] for r in runs),
        "other": max(max(r["other_server_core"], r["other_client_core"]) for r in runs),
        "noisy": any(r.get("noisy") for r in runs),
    }


#: Issue 4's targets: (target, reference, label, metric, endpoints, bound); ``rps`` must
#: reach the bound, ``cpu_us`` stay under it. Rows come out in this order, per endpoint.
GOALS: tuple[tuple[str, str, str, str, tuple[str, ...], float], ...] = (
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E1",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E1",), 0.90),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E2",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E2",), 0.90),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E3",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E3",), 0.90),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E4",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E4",), 0.90),
    ("bolt-python", "uvicorn-raw", "python ÷ uvicorn-raw", "rps", ("E1",), 1.00),
    ("bolt-python", "fastapi", "python ÷ FastAPI", "rps", ("E1", "E2", "E3", "E4"), 3.00),
    ("bolt-rust-log", "bolt-rust", "rust-log ÷ rust", "rps", ("E1", "E2", "E3", "E4"), 0.85),
)
RATIOS = (
    ("bolt-rust", "django-bolt"),
    ("bolt-rust-log", "bolt-rust"),
    ("bolt-python", "uvicorn-raw"),
    ("bolt-python", "fastapi"),
)
SHORT = {
    "bolt-rust": "rust",
    "bolt-rust-log": "rust-log",
    "bolt-rust-logging": "rust-logging",
    "bolt-python": "python",
    "django-bolt": "django-bolt",
    "uvicorn-raw": "uvicorn-raw",
    "fastapi": "FastAPI",
}


def _fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def header_lines(data: dict[str, Any], title: str) -> list[str]:
    """The title and the command, date, machine, Bolt commit and method of a results file."""
    args = data["args"]
    m = data["machine"]
    return [
        f"# {title} — {data['date']} ({data['label']})",
        "",
        f"- **Command**: `{data['command']}`",
        f"- **Date**: {data['started']} – {data['finished']} (UTC)",
        f"- **Machine**: {m['nproc']} CPUs (`nproc`), {m['cpu']}, {m['memory']} RAM; kernel "
        f"{m['kernel']}; {m['os']}",
        *(
            [
                f"- **Bolt**: commit {data['git']}, `bolt_rust` built with the cargo profile "
                f"`{data['rust_profile']}`; the Bolt targets ran from a copy of the packages taken "
                f"when the run began."
            ]
            if data.get("git")
            else []
        ),
        f"- **Method**: each target is one server process pinned to CPU {m['server_cpu']} "
        f"(`taskset -c {m['server_cpu']}`); `{m['wrk']}` pinned to CPU {m['client_cpu']}: "
        f"`wrk -t1 -c{args['connections']} -d{args['duration']}s --latency`, after a "
        f"{args['warmup']} s warm-up per endpoint; {args['runs']} runs per endpoint, the median "
        f"shown with [min–max]; "
        + (
            "the targets' runs interleaved (every server up throughout, one run of each target "
            "per round, the order rotated each round). "
            if data.get("interleaved")
            else ""
        )
        + "Server CPU is utime+stime of the server process, its threads "
        "and children, from `/proc/<pid>/stat` before and after each run.",
    ]


def newest_ablation() -> Path | None:
    """The most recent ``--ablation`` results file in results/, if any."""
    found = []
    for path in RESULTS.glob("*.md"):
        try:
            with open(path, encoding="utf-8") as f:
                first = f.readline()
        except OSError:
            continue
        if first.startswith(ABLATION_TITLE):
            found.append(path)
    return max(found, key=lambda p: (p.stat().st_mtime, p.name), default=None)


def render_markdown(data: dict[str, Any], chart_dir: Path | None, stem: str) -> str:
    args = data["args"]
    targets = [t for t in data["targets"] if t in data["results"]]
    endpoints = [BY_KEY[k] for k in data["endpoints"]]
    summ: dict[str, dict[str, dict[str, float]]] = {
        t: {k: summarize(v["runs"]) for k, v in data["results"][t]["endpoints"].items()}
        for t in targets
    }
    ratios = [(a, b) for a, b in RATIOS if a in targets and b in targets]
    skipped: dict[str, dict[str, str]] = data.get("skipped", {})
    lines = header_lines(data, "Bolt cross-engine benchmark")
    if data.get("ablation_file"):
        lines.append(
            f"- **Ablation**: the newest ablation table (bolt-rust with each "
            f"optimisation switched off in turn; its own command, date and commit at "
            f"its top): [{data['ablation_file']}]({data['ablation_file']})"
        )
    lines += ["", "## Throughput (requests/s; higher is better)", ""]

    def table(
        metric: Callable[[dict[str, float]], str], ratio_key: str | None, higher_better: bool
    ) -> list[str]:
        head = ["Endpoint", *targets]
        if ratio_key:
            head += [f"{SHORT[a]} ÷ {SHORT[b]}" for a, b in ratios]
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for ep in endpoints:
            row = [f"{ep.key} {ep.title}"]
            for t in targets:
                s = summ[t].get(ep.key)
                reason = skipped.get(t, {}).get(ep.key) or (
                    "no Django" if "skipped" not in data and ep.needs_django else None
                )
                row.append(metric(s) if s else f"n/a ({reason})" if reason else "—")
            if ratio_key:
                for a, b in ratios:
                    sa, sb = summ[a].get(ep.key), summ[b].get(ep.key)
                    row.append(f"{sa[ratio_key] / sb[ratio_key]:.2f}×" if sa and sb else "—")
            out.append("| " + " | ".join(row) + " |")
        return out

    def rps_cell(s: dict[str, float]) -> str:
        flag = " ⚠" if s["noisy"] else ""
        return f"**{_fmt_int(s['rps'])}** [{_fmt_int(s['rps_min'])}–{_fmt_int(s['rps_max'])}]{flag}"

    lines += table(rps_cell, "rps", True)
    lines += [
        "",
        "## Server CPU time per request (µs; lower is better)",
        "",
        "CPU seconds the server spent per request served ×10⁶. Unlike req/s, this does not "
        "saturate at the load generator's limit.",
        "",
    ]
    lines += table(
        lambda s: f"**{s['cpu_us']:.1f}** [{s['cpu_min']:.1f}–{s['cpu_max']:.1f}]", "cpu_us", False
    )
    lines += ["", "## Latency p50 / p99 (ms, median of the runs)", ""]
    lines += table(lambda s: f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f}", None, False)
    lines += [
        "",
        "## What saturated: server core / wrk core utilisation (median)",
        "",
        "A server near 100 % is the bottleneck; wrk near 100 % means the load generator "
        "is (the figure is then a floor for the server).",
        "",
    ]
    lines += table(lambda s: f"{s['server_util']:.0%} / {s['client_util']:.0%}", None, False)

    lines += [
        "",
        "## Memory (MB, whole process tree)",
        "",
        "| Target | RSS after start | RSS at end | peak RSS (VmHWM) | requests served |",
        "|---|---|---|---|---|",
    ]
    for t in targets:
        r = data["results"][t]
        lines.append(
            f"| {t} | {r['mem_start']['rss_kb'] / 1024:.1f} | "
            f"{r['mem_end']['rss_kb'] / 1024:.1f} | {r['mem_end']['hwm_kb'] / 1024:.1f} "
            f"| {_fmt_int(r['total_requests'])} |"
        )

    # The targets, checked on this run's ratios.
    goals: list[tuple[str, str, float | str, bool]] = []
    for a_name, b_name, label, metric, keys, bound in GOALS:
        if a_name not in targets or b_name not in targets:
            continue
        for k in keys:
            a, b = summ[a_name].get(k), summ[b_name].get(k)
            if a and b:
                ratio = a[metric] / b[metric]
                met = ratio >= bound if metric == "rps" else ratio <= bound
                sign = "≥" if metric == "rps" else "≤"
                what = "req/s" if metric == "rps" else "CPU/req"
                goals.append((f"{label} {what}, {k}", f"{sign} {bound:.2f}×", ratio, met))
    if "bolt-rust-log" in targets and "bolt-rust" in targets:
        counted = data["results"]["bolt-rust-log"].get("access_log")
        if counted and counted["served"]:
            # The rows above only mean something if the log was complete.
            share = counted["lines"] / counted["served"]
            measured = f"{share:.3f}×" + (
                f", ≥ {counted['dropped']:,} dropped" if counted["dropped"] else ""
            )
            goals.append(
                (
                    "rust-log access-log lines ÷ requests served",
                    "≥ 1.000×, none dropped",
                    measured,
                    share >= 1.0 and not counted["dropped"],
                )
            )
    if goals:
        lines += [
            "",
            "## Issue 4 targets on this run",
            "",
            "| Ratio | Target | Measured | |",
            "|---|---|---|---|",
        ]
        for name, want, got, ok in goals:
            shown = got if isinstance(got, str) else f"{got:.2f}×"
            lines.append(f"| {name} | {want} | {shown} | {'met' if ok else '**missed**'} |")

    lines += ["", "## Targets and versions", "", "| Target | What | Versions |", "|---|---|---|"]
    for t in targets:
        lines.append(f"| {t} | {data['descriptions'][t]} | {data['versions'][t]} |")

    lines += ["", "## Notes", ""]
    lines.append(
        "- E5 runs only on the Django-based targets (Bolt, django-bolt): FastAPI, "
        "the raw ASGI/RSGI apps and nginx have no Django ORM."
    )
    for t in targets:
        for note in data["notes"].get(t, []):
            lines.append(f"- {t}: {note}")
    if "E6" in data["endpoints"]:
        framing = {
            t: data["results"][t]["verified"]["E6"]["framing"]
            for t in targets
            if "E6" in data["results"][t]["verified"]
        }
        lines.append(
            "- E6 framing as observed: " + "; ".join(f"{t} {f}" for t, f in framing.items()) + "."
        )
        whole = [t for t, f in framing.items() if not f.startswith("chunked") and t != "nginx"]
        if whole:
            lines.append(
                f"- E6 is **not streamed** by {', '.join(whole)}: the 64 KB arrive as "
                "one body with a content-length (no streaming response in that "
                "tree), so E6 is not like-for-like for them."
            )
    noisy = [f"{t} {k}" for t in targets for k, s in summ[t].items() if s["noisy"]]
    lines += common_notes(args, noisy)
    if chart_dir is not None:
        lines += ["", "## Charts", ""]
        for ep in endpoints:
            lines.append(f"![{ep.key}]({chart_dir.name}/{ep.key}-{ep.name}.png)")
    lines += ["", f"Raw data: `benchmarks/results/raw/{stem}.json` (not committed).", ""]
    return "\n".join(lines)


def common_notes(args: dict[str, Any], noisy: list[str]) -> list[str]:
    """The notes on noise handling and checking every results file ends with."""
    return [
        f"- Other load on the two benchmark cores (CPU time of processes other than "
        f"the server and wrk; irq/softirq left out) is measured per run; the runner "
        f"waits for both cores to be idle before each run; a run where other load "
        f"took more than {args['max_noise']:.0%} of the server's core, or of wrk's "
        f"core while the server was below 90 % busy (or neither kept its core 80 % "
        f"busy), is repeated up to {args['retries']} times, and the result is "
        f"marked ⚠ if a run stayed noisy: " + (", ".join(noisy) if noisy else "none") + ".",
        "- Every target answered every endpoint with the expected status and body "
        "before and after its runs, and wrk saw no unexpected status in any run.",
    ]


def render_charts(data: dict[str, Any], chart_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chart_dir.mkdir(parents=True, exist_ok=True)
    targets = [t for t in data["targets"] if t in data["results"]]
    colors = {
        "bolt-rust": "#d94801",
        "bolt-rust-log": "#a63603",
        "bolt-rust-logging": "#7f2704",
        "bolt-python": "#fd8d3c",
        "django-bolt": "#2171b5",
        "django-bolt-log": "#9ecae1",
        "fastapi": "#6baed6",
        "uvicorn-raw": "#41ab5d",
        "granian-rsgi": "#238b45",
        "nginx": "#969696",
    }
    for key in data["endpoints"]:
        ep = BY_KEY[key]
        names, summaries = [], []
        for t in targets:
            ep_data = data["results"][t]["endpoints"].get(key)
            if ep_data:
                names.append(t)
                summaries.append(summarize(ep_data["runs"]))
        if not names:
            continue
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
        xs = range(len(names))
        rps = [s["rps"] for s in summaries]
        err = [
            [s["rps"] - s["rps_min"] for s in summaries],
            [s["rps_max"] - s["rps"] for s in summaries],
        ]
        ax1.bar(xs, rps, yerr=err, capsize=4, color=[colors.get(n, "#888") for n in names])
        ax1.set_title("requests/s (median, min–max)")
        for x, v in zip(xs, rps, strict=True):
            ax1.text(x, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
        cpu = [s["cpu_us"] for s in summaries]
        cerr = [
            [s["cpu_us"] - s["cpu_min"] for s in summaries],
            [s["cpu_max"] - s["cpu_us"] for s in summaries],
        ]
        ax2.bar(xs, cpu, yerr=cerr, capsize=4, color=[colors.get(n, "#888") for n in names])
        ax2.set_title("server CPU µs per request (lower is better)")
        for x, v in zip(xs, cpu, strict=True):
            ax2.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
        for ax in (ax1, ax2):
            ax.set_xticks(list(xs))
            ax.set_xticklabels(names, rotation=25, ha="right", fontsize=8)
            ax.grid(axis="y", alpha=0.3)
        fig.suptitle(
            f"{ep.key} {ep.title} — {data['date']}, {data['machine']['cpu']}, "
            f"wrk -c{data['args']['connections']} -d{data['args']['duration']}s",
            fontsize=9,
        )
        fig.tight_layout()
        fig.savefig(chart_dir / f"{ep.key}-{ep.name}.png", dpi=100)
        plt.close(fig)


# --------------------------------------------------------------------------------------------
# RSS soak


def rss_soak(
    targets: list[Target], endpoints: list[Endpoint], env: Env, logs: Path
) -> dict[str, Any]:
    """Per target: RSS after a warm-up against RSS after ``N`` more requests."""
    args = env.args
    out: dict[str, Any] = {}
    for target in targets:
        eps = [e for e in endpoints if target.supports(e)]
        server = start_server(target, env, logs / f"{target.name}.log")
        try:
            verify(server, eps)
            wrk_log = logs / f"{target.name}.soak.log"
            for ep in eps:
                run_wrk(server, ep, max(1, args.warmup), args, wrk_log)
            warm = memory_kb(process_tree(server.pid))
            log(
                f"{target.name}: RSS after warm-up {warm['rss_kb'] / 1024:.1f} MB; sending "
                f"{args.rss_soak:,} requests over {', '.join(e.key for e in eps)}"
            )
            sent, trace = 0, [warm["rss_kb"]]
            while sent < args.rss_soak:
                for ep in eps:
                    run = run_wrk(server, ep, args.soak_chunk, args, wrk_log)
                    sent += run["requests"]
                trace.append(memory_kb(process_tree(server.pid))["rss_kb"])
            verify(server, eps)
            end = memory_kb(process_tree(server.pid))
            growth = (end["rss_kb"] - warm["rss_kb"]) / warm["rss_kb"]
            log(
                f"{target.name}: RSS {warm['rss_kb'] / 1024:.1f} → {end['rss_kb'] / 1024:.1f} MB "
                f"after {sent:,} requests ({growth:+.1%}), peak {end['hwm_kb'] / 1024:.1f} MB"
            )
            out[target.name] = {
                "warm": warm,
                "end": end,
                "requests": sent,
                "growth": growth,
                "trace_kb": trace,
                "endpoints": [e.key for e in eps],
            }
        finally:
            server.stop()
    return out


def render_soak(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        f"# Bolt RSS soak — {data['date']} ({data['label']})",
        "",
        f"- **Command**: `{data['command']}`",
        f"- **Date**: {data['started']} – {data['finished']} (UTC)",
        f"- **Machine**: {m['nproc']} CPUs, {m['cpu']}, kernel {m['kernel']}",
        f"- **Method**: one server process per target (CPU {m['server_cpu']}), a "
        f"{data['args']['warmup']} s wrk warm-up on each endpoint, RSS read; then wrk rounds of "
        f"{data['args']['soak_chunk']} s per endpoint until at least "
        f"{data['args']['rss_soak']:,} requests; RSS read again (VmRSS of the process tree).",
        "",
        "| Target | Endpoints | Requests | RSS after warm-up (MB) | RSS after (MB) | Growth | "
        "Peak RSS (MB) | RSS per round (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t, r in data["soak"].items():
        trace = " ".join(f"{kb / 1024:.1f}" for kb in r["trace_kb"])
        lines.append(
            f"| {t} | {' '.join(r['endpoints'])} | {r['requests']:,} | "
            f"{r['warm']['rss_kb'] / 1024:.1f} | {r['end']['rss_kb'] / 1024:.1f} | "
            f"{r['growth']:+.1%} | {r['end']['hwm_kb'] / 1024:.1f} | {trace} |"
        )
    lines += ["", "## Versions", ""]
    for t, v in data["versions"].items():
        lines.append(f"- {t}: {v}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Ablation

#: The first line of an ablation results file starts with this (``newest_ablation``).
ABLATION_TITLE = "# Bolt ablation"


#: The ablations bolt-api performs (``runbolt --ablate NAME``, read by ``BoltAPI.compile``);
#: the others are the Rust engine's (``BOLT_ABLATE``, read only by a build with the cargo
#: feature ``ablation``, which ``nox -s bench`` makes).
PYTHON_ABLATIONS = frozenset({"trivial_async", "compiled_encoders", "rust_params"})


def ablation_args(target: Target) -> tuple[str, ...]:
    """The runbolt flags that switch ``target.ablate`` off when bolt-api performs it."""
    if target.ablate in PYTHON_ABLATIONS:
        return ("--ablate", target.ablate)
    return ()


def ablation_targets(base: Target) -> list[tuple[str, Target]]:
    """``("all on", base)``, then per name of ``ABLATIONS`` base with ``BOLT_ABLATE=<name>``."""
    out = [("all on", base)]
    for name in ABLATIONS:
        out.append(
            (
                f"{name} off",
                replace(
                    base,
                    name=f"{base.name}-ablate-{name}",
                    default=False,
                    description=f"{base.description}, BOLT_ABLATE={name}",
                    extra_env=(*base.extra_env, ("BOLT_ABLATE", name)),
                    ablate=name,
                ),
            )
        )
    return out


def render_ablation(data: dict[str, Any], stem: str) -> str:
    args = data["args"]
    endpoints = [BY_KEY[k] for k in data["endpoints"]]
    configs = data["configs"]
    summ = {
        c["target"]: {
            k: summarize(v["runs"]) for k, v in data["results"][c["target"]]["endpoints"].items()
        }
        for c in configs
    }
    base = configs[0]
    lines = header_lines(data, ABLATION_TITLE.removeprefix("# ") + " (bolt-rust)")
    lines += [
        f"- **Configurations**: {base['target']}, started once per row (a new server process "
        f'each) with `BOLT_ABLATE` naming the one optimisation switched off (unset for "all '
        f'on"), measured in the order of the rows.',
        "",
        "## Each optimisation switched off in turn",
        "",
        "Per endpoint: req/s (median of the runs), server CPU µs per request (median) and that "
        'CPU per request ÷ "all on"\'s: 1.12× means the request costs 12 % more CPU with the '
        "optimisation off, i.e. what the optimisation saves. req/s can saturate at the load "
        "generator's limit (see the main results); CPU per request does not.",
        "",
    ]
    head = ["Configuration"]
    for ep in endpoints:
        head += [f"{ep.key} req/s", f"{ep.key} CPU µs/req", f"{ep.key} CPU ÷ all on"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in configs:
        row = [c["label"] if c["ablate"] is None else f"`{c['ablate']}` off"]
        for ep in endpoints:
            s, b = summ[c["target"]].get(ep.key), summ[base["target"]].get(ep.key)
            if s is None or b is None:
                row += ["—", "—", "—"]
                continue
            row += [
                _fmt_int(s["rps"]) + (" ⚠" if s["noisy"] else ""),
                f"{s['cpu_us']:.1f}",
                "—" if c is base else f"{s['cpu_us'] / b['cpu_us']:.2f}×",
            ]
        lines.append("| " + " | ".join(row) + " |")
    spreads = [
        (s["cpu_max"] - s["cpu_min"]) / s["cpu_us"] for per in summ.values() for s in per.values()
    ]
    spread_note = (
        f"- The CPU/request of one cell varies by up to {max(spreads, default=0):.0%} between "
        f"its runs (max − min over the median, worst cell): ratios closer to 1.00× than that "
        f"are not a measured difference."
        if args["runs"] > 1
        else "- One run per configuration: the spread between runs was not measured, so small "
        "ratios (a few %) may be noise."
    )
    lines += [
        "",
        "Endpoints: " + "; ".join(f"{ep.key} {ep.title}" for ep in endpoints) + ".",
        "",
        "## What each name switches off",
        "",
    ]
    for c in configs[1:]:
        what = ABLATION_WHAT.get(c["ablate"], "(no description in run.py's ABLATION_WHAT)")
        lines.append(f"- `{c['ablate']}`: {what}.")
    lines += ["", "## Versions", ""]
    for t, v in data["versions"].items():
        lines.append(f"- {t}: {v}")
    lines += [
        "",
        "## Notes",
        "",
        spread_note,
        "- A name the installed Bolt does not know is ignored (no error): its row then "
        'measures "all on" again and shows about 1.00×.',
        *common_notes(
            args,
            [
                f"{c['label']} {k}"
                for c in configs
                for k, s in summ[c["target"]].items()
                if s["noisy"]
            ],
        ),
        "",
        f"Raw data: `benchmarks/results/raw/{stem}.json` (not committed).",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Entry point


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    targets = make_targets()
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = ",".join(t.name for t in targets.values() if t.default)
    p.add_argument(
        "--targets",
        default=None,
        help=f"comma-separated, in order (default: {defaults}; also: "
        f"{','.join(t.name for t in targets.values() if not t.default)})",
    )
    p.add_argument(
        "--endpoints",
        default=None,
        help="comma-separated endpoint keys (default: E1..E8; E1..E4 with --ablation)",
    )
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up seconds per endpoint (3)")
    p.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    p.add_argument("--runs", type=int, default=3, help="runs per endpoint (default 3)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 2 s runs, 1 run, 1 s warm-up, no preflight",
    )
    p.add_argument(
        "--label", default=None, help="results file label (default bench/quick/rss-soak/ablation)"
    )
    p.add_argument(
        "--no-preflight",
        action="store_true",
        help="skip starting and checking every target before measuring",
    )
    p.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    p.add_argument(
        "--no-write",
        action="store_true",
        help="do not write benchmarks/results/*.md (raw JSON is still written)",
    )
    p.add_argument(
        "--max-noise",
        type=float,
        default=0.10,
        help="repeat a run when other load on a benchmark core exceeds this (0.10)",
    )
    p.add_argument("--retries", type=int, default=2, help="repeats of a noisy run (2)")
    p.add_argument(
        "--quiet-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the benchmark cores to go idle before a run (120)",
    )
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--python312", default=None, help="Python >= 3.12 for django-bolt's venv")
    p.add_argument(
        "--rss-soak",
        type=int,
        default=0,
        metavar="N",
        help="instead of the benchmark: RSS after warm-up vs after N requests",
    )
    p.add_argument("--soak-chunk", type=int, default=5, help="seconds per wrk call in the soak")
    p.add_argument(
        "--micro",
        action="store_true",
        help="run the pytest-benchmark micro-benchmarks (other args go to pytest)",
    )
    p.add_argument(
        "--ablation",
        action="store_true",
        help=f"instead of the benchmark: bolt-rust all on, then once per "
        f"BOLT_ABLATE name ({', '.join(ABLATIONS)}); writes "
        f"results/<date>-ablation.md",
    )
    args, rest = p.parse_known_args(argv)
    if rest and not args.micro:
        p.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.ablation and (args.rss_soak or args.micro):
        p.error("--ablation cannot be combined with --rss-soak or --micro")
    if args.ablation and args.targets not in (None, "bolt-rust"):
        p.error("--ablation measures bolt-rust only (leave --targets out)")
    if args.targets is None:
        args.targets = "bolt-rust" if args.ablation else defaults
    if args.endpoints is None:
        args.endpoints = "E1,E2,E3,E4" if args.ablation else ",".join(BY_KEY)
    if args.quick:
        args.duration, args.runs, args.warmup, args.no_preflight = 2, 1, 1, True
    if args.label is None:
        args.label = "rss-soak" if args.rss_soak else "quick" if args.quick else "bench"
        if args.ablation:
            args.label = "ablation-quick" if args.quick else "ablation"
    elif args.ablation and not args.label.startswith("ablation"):
        args.label = f"ablation-{args.label}"  # never the name of a main results file
    unknown = [t for t in args.targets.split(",") if t not in targets]
    if unknown:
        p.error(f"unknown targets {unknown}; known: {', '.join(targets)}")
    bad = [e for e in args.endpoints.split(",") if e not in BY_KEY]
    if bad:
        p.error(f"unknown endpoints {bad}; known: {', '.join(BY_KEY)}")
    if args.duration < 1 or args.runs < 1 or args.connections < 1:
        p.error("--duration, --runs and --connections must be >= 1")
    return args, rest


def check_tools(args: argparse.Namespace, targets: list[Target]) -> None:
    missing = [t for t in ("wrk", "taskset") if shutil.which(t) is None]
    if missing:
        raise BenchFailure(
            f"missing {', '.join(missing)}: `nox -s bench` installs wrk with "
            "apt-get when run as root (or: apt-get install wrk util-linux)"
        )
    if any(t.name == "nginx" for t in targets):
        nginx_binary()
    cpus = os.sched_getaffinity(0)
    for cpu in (args.server_cpu, args.client_cpu):
        if cpu not in cpus:
            raise BenchFailure(
                f"CPU {cpu} is not available (have {sorted(cpus)}); the benchmark "
                "needs two cores: --server-cpu / --client-cpu"
            )
    if args.server_cpu == args.client_cpu:
        raise BenchFailure("--server-cpu and --client-cpu must differ")


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    if "--profile" in raw:  # its own options: see benchmarks/profile.py
        from benchmarks import profile

        return profile.main([a for a in raw if a != "--profile"])
    args, rest = parse_args(raw)
    if args.micro:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(BENCH / "micro"),
            "--benchmark-only",
            "-p",
            "no:cacheprovider",
            *rest,
        ]
        log("$ " + shlex.join(cmd))
        return subprocess.call(cmd, cwd=ROOT)

    all_targets = make_targets()
    targets = [all_targets[t] for t in args.targets.split(",")]
    endpoints = [BY_KEY[k] for k in args.endpoints.split(",")]
    configs = ablation_targets(targets[0]) if args.ablation else []
    if configs:
        targets = [t for _, t in configs]
    if "BOLT_ABLATE" in os.environ:
        log(
            f"BOLT_ABLATE={os.environ['BOLT_ABLATE']!r} in the environment is ignored: Bolt's "
            "optimisations are switched off only by --ablation"
        )
    started = dt.datetime.now(dt.UTC)
    date = started.strftime("%Y-%m-%d")
    stem = f"{date}-{args.label}"
    logs = RAW / f"{stem}-logs"
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    data: dict[str, Any] = {
        "label": args.label,
        "date": date,
        "started": started.strftime("%Y-%m-%d %H:%M"),
        "command": command_line(),
        "argv": sys.argv,
        "args": vars(args),
        "targets": [t.name for t in targets],
        "endpoints": [e.key for e in endpoints],
        "descriptions": {t.name: t.description for t in targets},
        "notes": {t.name: list(t.notes) for t in targets},
        "skipped": {
            t.name: {e.key: reason for e in endpoints if (reason := t.skip_reason(e))}
            for t in targets
        },
        "results": {},
    }
    if configs:
        data["configs"] = [
            {"label": label, "target": t.name, "ablate": dict(t.extra_env).get("BOLT_ABLATE")}
            for label, t in configs
        ]
    try:
        check_tools(args, targets)
        data["machine"] = machine_info(args)
        with tempfile.TemporaryDirectory(prefix="bolt-bench-") as tmp:
            env = Env(args, Path(tmp))
            if any(t.framework == "bolt" for t in targets):
                env.git = git_describe()
                env.snapshot = snapshot_bolt(env.tmp)
                data["rust_profile"] = check_profile(env)
                data["git"] = env.git
            if configs:  # one interpreter, database and version line for every configuration
                prepare(targets[:1], env)
                for t in targets[1:]:
                    env.pythons[t.name] = env.pythons[targets[0].name]
                    env.dbs[t.name] = env.dbs[targets[0].name]
                data["versions"] = versions(targets[:1], env)
            else:
                prepare(targets, env)
                data["versions"] = versions(targets, env)
            if args.rss_soak:
                data["soak"] = rss_soak(targets, endpoints, env, logs)
            else:
                pairs = sum(1 for t in targets for e in endpoints if t.supports(e))
                minutes = pairs * (args.warmup + args.runs * (args.duration + 0.3)) / 60
                log(
                    f"{len(targets)} {'configurations' if configs else 'targets'} × "
                    f"endpoints = {pairs} measurements, about {minutes:.0f} min of load"
                )
                if not args.no_preflight:
                    preflight(targets, endpoints, env, logs)
                data["interleaved"] = True
                data["results"] = measure_all(targets, endpoints, env, logs)
    except BaseException as exc:
        for server in list(LIVE):
            server.stop()
        if not isinstance(exc, BenchFailure):
            raise
        data["failure"] = str(exc)
        (RAW / f"{stem}.failed.json").write_text(json.dumps(data, indent=1, default=str))
        print(
            f"\n{'=' * 78}\nBENCHMARK FAILED — nothing recorded\n{'=' * 78}\n{exc}\n",
            file=sys.stderr,
            flush=True,
        )
        return 1
    data["finished"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    if not args.rss_soak and not configs:  # latest.md links to the newest ablation table
        ablation_file = newest_ablation()
        data["ablation_file"] = ablation_file.name if ablation_file else None
    RAW.mkdir(parents=True, exist_ok=True)
    (RAW / f"{stem}.json").write_text(json.dumps(data, indent=1, default=str))
    if args.rss_soak:
        text = render_soak(data)
        path = RESULTS / f"{stem}.md"
        if not args.no_write:
            path.write_text(text)
            log(f"wrote {path.relative_to(ROOT)}")
        print(text)
        return 0
    if configs:  # its own file; results/latest.md stays the main benchmark's
        text = render_ablation(data, stem)
        if not args.no_write:
            path = RESULTS / f"{stem}.md"
            path.write_text(text)
            log(f"wrote {path.relative_to(ROOT)}")
        print(text)
        return 0
    chart_dir = None if args.no_charts else RESULTS / f"{stem}-charts"
    if chart_dir is not None and not args.no_write:
        render_charts(data, chart_dir)
    text = render_markdown(data, chart_dir, stem)
    if not args.no_write:
        path = RESULTS / f"{stem}.md"
        path.write_text(text)
        (RESULTS / "latest.md").write_text(text)
        log(
            f"wrote {path.relative_to(ROOT)} and results/latest.md"
            + (f" and {chart_dir.relative_to(ROOT)}/" if chart_dir else "")
        )
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
