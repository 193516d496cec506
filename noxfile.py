"""Every task has one entry point here; the README, CI and developers all run these.

    nox -s tests    the lint session first, then, on Python 3.11 and 3.13: build the Rust
                    engine, install the four packages, run the whole suite under coverage
    nox -s lint     the gates: ruff check, ruff format --check, mypy --strict, stubtest,
                    cargo fmt --check, cargo clippy -D warnings
    nox -s serve    the same install, then serve the example Django project on :8000

``nox -s tests-3.11 -- tests/test_foo.py -x`` runs part of the suite on one Python (arguments
after ``--`` go to pytest; the lint session still runs first). Pyenv's shims find both
interpreters through ``.python-version`` at the root.

Sessions share one virtualenv per session name (reused between runs) and one cargo target
directory (``target/`` at the root), so the Rust engine is rebuilt incrementally, not from
scratch. ``BOLT_RUST_PROFILE`` picks the cargo profile (default ``fast``: optimised, no LTO;
``release`` is the fat-LTO build the benchmarks use).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests"]

ROOT = Path(__file__).parent
CARGO_ENV = {"CARGO_TARGET_DIR": str(ROOT / "target")}
PACKAGES = ["packages/bolt-api", "packages/bolt-py", "packages/bolt-django"]
#: The oldest Python Bolt supports and the newest: ``bolt_api._coroutines`` reads CPython
#: bytecode, which changes between versions. The Rust engine is built for the stable ABI
#: (abi3-py311), so each session's ``maturin develop`` reuses the same cargo build.
PYTHONS = ["3.11", "3.13"]
#: Every Python file the project keeps is linted and format-checked.
PYTHON_SOURCES = ["packages", "tests", "benchmarks", "examples", "noxfile.py"]
#: Pinned to a minor version: a new release's rules or style must not fail CI unannounced.
LINT_DEPS = [
    "ruff>=0.17.5,<0.18",
    "mypy>=2.4,<2.5",
    "django-stubs>=6.1,<6.2",
    "httpx>=0.27",  # bolt_api.testing's types
]
#: The packages whose line coverage the tests session reports, and where their code lives.
COVERED = {
    "bolt_api": "packages/bolt-api/src",
    "bolt_py": "packages/bolt-py/src",
    "bolt_django": "packages/bolt-django/src",
    "bolt_rust's Python": "packages/bolt-rust/python",
}
TEST_DEPS = [
    "coverage>=7.10,<8",  # 7.10: [run] patch = ["subprocess"]
    "pytest>=8",
    "httpx>=0.27",
    "openapi-spec-validator>=0.7",
    "schemathesis>=4",
    "flask-openapi-scalar>=1.76",
    "flask-openapi-elements>=9",
    "brotli>=1.1",
    "zstandard>=0.22",
    "watchfiles>=0.21",
    "psycopg[binary]>=3.2",  # tests/test_db_connections.py, on a throw-away PostgreSQL
    "pytest-django>=4.9",  # examples/catalog/test_with_pytest.py, run by tests/test_django.py
    "redis>=5",  # Django's RedisCache, for tests/test_ratelimit.py's shared store
    "websockets>=13",  # a real client for tests/test_ws_protocol.py
]


def install(session: nox.Session, profile: str | None = None, features: str = "") -> None:
    """Install bolt-api, bolt-py, bolt-django (editable) and build bolt-rust into the venv
    (with the cargo ``features``, comma-separated, when given)."""
    session.install("maturin>=1.7,<2", "pip")
    for package in PACKAGES:
        session.install("-e", package)
    profile = profile or os.environ.get("BOLT_RUST_PROFILE", "fast")
    session.run(
        "maturin",
        "develop",
        "--quiet",
        "--profile",
        profile,
        *(["--features", features] if features else []),
        "-m",
        "packages/bolt-rust/Cargo.toml",
        env=CARGO_ENV,
    )


@nox.session(python=PYTHONS, requires=["lint"])
def tests(session: nox.Session) -> None:
    """The whole suite: unit tests of each package and the two-engine conformance suite.

    It runs under coverage, the servers the suite starts in subprocesses included (``[run]
    patch`` in pyproject.toml), and ends with the line coverage of each package. The lint
    session runs first; a failed check skips the tests.
    """
    install(session)
    session.install(*TEST_DEPS)
    install_browser(session)
    install_nginx(session)
    install_postgresql(session)
    install_redis(session)
    if session.python == PYTHONS[0]:
        # the Rust engine's own unit tests (the panic guard: no request can provoke a
        # panic); they do not depend on the Python version, so they run once
        cargo(session, "test", "--quiet", "--profile", "fast", "--lib")
    data = Path(session.virtualenv.location, ".coverage")
    env = {"COVERAGE_FILE": str(data)}  # absolute: servers run with other working dirs
    session.run("coverage", "erase", env=env)
    session.run("coverage", "run", "-m", "pytest", *session.posargs, env=env)
    report_coverage(session, env)


def report_coverage(session: nox.Session, env: dict[str, str]) -> None:
    """Combine the test process's and the servers' data; print the table, then one line
    with each package's figure."""
    session.run("coverage", "combine", "--quiet", env=env)
    session.run("coverage", "report", env=env)
    out = Path(session.virtualenv.location, "coverage.json")
    session.run("coverage", "json", "--quiet", "-o", str(out), env=env)
    report = json.loads(out.read_text())
    figures = []
    for name, folder in COVERED.items():
        summaries = [
            entry["summary"]
            for path, entry in report["files"].items()
            if (ROOT / path).is_relative_to(ROOT / folder)
        ]
        statements = sum(summary["num_statements"] for summary in summaries)
        covered = sum(summary["covered_lines"] for summary in summaries)
        figures.append(f"{name} {100 * covered / max(statements, 1):.1f}%")
    total = report["totals"]["percent_covered"]
    session.log(
        f"line coverage on Python {session.python}: {', '.join(figures)}, total {total:.1f}%"
    )


def cargo(session: nox.Session, command: str, *args: str) -> None:
    """``cargo <command> <args>`` on the bolt-rust crate, in the shared target directory."""
    session.run(
        "cargo",
        command,
        "--manifest-path",
        "packages/bolt-rust/Cargo.toml",
        *args,
        external=True,
        env=CARGO_ENV,
    )


def apt_install(session: nox.Session, package: str, purpose: str) -> None:
    """Best effort, as root only: install Debian's ``package``; warn (the tests that need it
    then skip, saying why) when that is not possible."""
    if getattr(os, "geteuid", lambda: -1)() != 0 or shutil.which("apt-get") is None:
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        session.log(" ".join(command))
        if subprocess.run(command, env=env, check=False).returncode != 0:
            session.warn(f"could not install {package}: {purpose} will be skipped")
            return


def install_browser(session: nox.Session) -> None:
    """Debian's Chromium for tests/test_docs_browser.py."""
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        apt_install(session, "chromium", "the browser tests")


def install_nginx(session: nox.Session) -> None:
    """Debian's nginx for tests/test_nginx.py (which can also install it itself)."""
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        apt_install(session, "nginx", "the nginx tests")


def install_postgresql(session: nox.Session) -> None:
    """Debian's PostgreSQL server for tests/test_db_connections.py (a throw-away cluster)."""
    if not (shutil.which("initdb") or list(Path("/usr/lib/postgresql").glob("*/bin/initdb"))):
        apt_install(session, "postgresql", "the PostgreSQL connection tests")


def install_redis(session: nox.Session) -> None:
    """Debian's Redis server for tests/test_ratelimit.py (a throw-away server on loopback)."""
    if not (shutil.which("redis-server") or Path("/usr/bin/redis-server").exists()):
        apt_install(session, "redis-server", "the shared rate-limit store tests")


@nox.session
def serve(session: nox.Session) -> None:
    """Serve the example project (``nox -s serve -- --engine python`` for the other engine)."""
    install(session)
    example = ROOT / "examples"
    session.chdir(example)
    session.run("python", "manage.py", "migrate", "--verbosity", "0")
    session.run("python", "manage.py", "seed")
    args = session.posargs or ["--engine", "rust"]
    session.run("python", "manage.py", "runbolt", "--host", "127.0.0.1", "--port", "8000", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """The static gates, cheapest first; ``nox -s tests`` runs this session before the tests.

    ruff's rules and mypy's strictness and files are configured in pyproject.toml, clippy's
    lints in packages/bolt-rust/Cargo.toml; stubtest checks ``_bolt.pyi`` against the built
    native module.
    """
    install(session)
    session.install(*LINT_DEPS)
    session.run("ruff", "format", "--check", *PYTHON_SOURCES)
    session.run("ruff", "check", *PYTHON_SOURCES)
    session.run("mypy")
    session.run("python", "-m", "mypy.stubtest", "bolt_rust._bolt")
    cargo(session, "fmt", "--check")
    cargo(
        session, "clippy", "--quiet", "--profile", "fast", "--all-targets", "--", "-D", "warnings"
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The cross-engine benchmark (benchmarks/README.md): ``nox -s bench -- --quick``.

    Builds bolt-rust with ``BOLT_RUST_PROFILE`` (default here ``release``: fat LTO) and the
    cargo feature ``ablation`` (``BOLT_ABLATE`` works in this build only), installs
    wrk and nginx with apt-get when they are missing (as root only; linux-perf too for
    ``--profile``; PostgreSQL's server, best effort, for E5/E5s), then runs
    ``benchmarks/run.py`` with the arguments after ``--``;
    ``-- --micro`` runs the pytest-benchmark micro-benchmarks instead, ``-- --profile`` the
    perf split of CPU per request (benchmarks/profile.py), ``-- --baseline REV`` the current
    tree against git revision REV (built with the same profile under target/bench-baseline/).
    """
    profile = os.environ.get("BOLT_RUST_PROFILE", "release")
    # `ablation`: the Rust engine's switches for the ablation table (off in other builds)
    install(session, profile, features="ablation")
    # psycopg: E5/E5s on the runner's throw-away PostgreSQL (the Bolt targets run here)
    session.install("matplotlib>=3.8", "pytest>=8", "pytest-benchmark>=4", "psycopg[binary]>=3.2")
    install_postgresql(session)  # without it, E5/E5s fall back to sqlite and say so
    missing = [
        tool
        for tool in ("wrk", "nginx")
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists()
    ]
    if "--profile" in session.posargs and shutil.which("perf") is None:
        missing.append("linux-perf")
    if missing:
        if getattr(os, "geteuid", lambda: -1)() != 0 or shutil.which("apt-get") is None:
            session.error(
                f"the benchmark needs {' and '.join(missing)}; install them (Debian: "
                f"sudo apt-get install {' '.join(missing)}) and run it again"
            )
        apt_env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=apt_env)
        session.run("apt-get", "install", "-y", "-qq", *missing, external=True, env=apt_env)
    command = " ".join(["nox -s bench", *(["--", *session.posargs] if session.posargs else [])])
    session.run(
        "python",
        "benchmarks/run.py",
        *session.posargs,
        env={"BOLT_RUST_PROFILE": profile, "BOLT_BENCH_COMMAND": command, **CARGO_ENV},
    )
