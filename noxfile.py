"""Every task has one entry point here; the README, CI and developers all run these.

    nox -s tests    build the Rust engine, install the four packages, run the whole suite
    nox -s serve    the same install, then serve the example Django project on :8000
    nox -s lint     ruff, mypy, cargo clippy and stubtest

Sessions share one virtualenv per session name (reused between runs) and one cargo target
directory (``target/`` at the root), so the Rust engine is rebuilt incrementally, not from
scratch. ``BOLT_RUST_PROFILE`` picks the cargo profile (default ``fast``: optimised, no LTO;
``release`` is the fat-LTO build the benchmarks use).
"""

from __future__ import annotations

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
TEST_DEPS = [
    "pytest>=8",
    "httpx>=0.27",
    "openapi-spec-validator>=0.7",
    "schemathesis>=4",
    "flask-openapi-scalar>=1.76",
    "flask-openapi-elements>=9",
    "brotli>=1.1",
    "zstandard>=0.22",
    "watchfiles>=0.21",
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


@nox.session
def tests(session: nox.Session) -> None:
    """The whole suite: unit tests of each package and the two-engine conformance suite."""
    install(session)
    session.install(*TEST_DEPS)
    install_browser(session)
    install_nginx(session)
    # the Rust engine's own unit tests (the panic guard: no request can provoke a panic)
    session.run(
        "cargo",
        "test",
        "--quiet",
        "--profile",
        "fast",
        "--lib",
        "--manifest-path",
        "packages/bolt-rust/Cargo.toml",
        external=True,
        env=CARGO_ENV,
    )
    session.run("pytest", *session.posargs)


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
    """Static checks: ruff, mypy (strict on bolt-api), clippy and the native stubs."""
    install(session)
    session.install("ruff", "mypy", "httpx>=0.27")  # httpx: bolt_api.testing's types
    session.run("ruff", "check", "packages", "tests", "noxfile.py")
    session.run("mypy", "packages/bolt-api/src/bolt_api")
    session.run(
        "cargo",
        "clippy",
        "--profile",
        "fast",
        "--manifest-path",
        "packages/bolt-rust/Cargo.toml",
        "--",
        "-D",
        "warnings",
        external=True,
        env=CARGO_ENV,
    )
    session.run("python", "-m", "mypy.stubtest", "bolt_rust._bolt")


@nox.session
def bench(session: nox.Session) -> None:
    """The cross-engine benchmark (benchmarks/README.md): ``nox -s bench -- --quick``.

    Builds bolt-rust with ``BOLT_RUST_PROFILE`` (default here ``release``: fat LTO) and the
    cargo feature ``ablation`` (``BOLT_ABLATE`` works in this build only), installs
    wrk and nginx with apt-get when they are missing (as root only; linux-perf too for
    ``--profile``), then runs ``benchmarks/run.py`` with the arguments after ``--``;
    ``-- --micro`` runs the pytest-benchmark micro-benchmarks instead, ``-- --profile`` the
    perf split of CPU per request (benchmarks/profile.py).
    """
    profile = os.environ.get("BOLT_RUST_PROFILE", "release")
    # `ablation`: the Rust engine's switches for the ablation table (off in other builds)
    install(session, profile, features="ablation")
    session.install("matplotlib>=3.8", "pytest>=8", "pytest-benchmark>=4")
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
