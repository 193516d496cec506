"""The targets: each server the benchmark measures (Bolt on each engine, its peers, nginx).

A ``Target`` says what a server is (its virtualenv, its Django framework, its versions'
distributions, its notes); ``Env`` holds what one invocation resolved for it (interpreter,
database, the snapshot of Bolt's packages), and ``target_env`` the environment its process
runs in. How each one's command line is built is ``servers.server_command``.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench.base import ROOT
from benchmarks.bench.endpoints import FEATURES, Endpoint, key_span

__all__ = [
    "DJANGO_BOLT_VERSION",
    "Env",
    "FASTAPI_REQS",
    "GRANIAN_REQS",
    "PSYCOPG_REQ",
    "Target",
    "UVICORN_REQS",
    "VenvSpec",
    "bolt_requirements",
    "make_targets",
    "target_env",
]


#: Pinned versions of the peers (each in its own virtualenv under benchmarks/.venvs/).
FASTAPI_REQS = [
    "fastapi==0.165.0",
    "pydantic==2.14.3",
    "uvicorn==0.54.0",
    "uvloop==0.23.0",
    "httptools==0.9.0",
    "PyJWT==2.15.1",  # E9: FastAPI's documented way to check a JWT
]
#: The Django targets' PostgreSQL driver (E5, E5s; the Bolt targets get it from nox's session).
PSYCOPG_REQ = "psycopg[binary]==3.3.9"
UVICORN_REQS = ["uvicorn==0.54.0", "uvloop==0.23.0", "httptools==0.9.0", "msgspec==0.22.0"]
GRANIAN_REQS = ["granian==2.8.7", "uvloop==0.23.0", "msgspec==0.22.0"]
DJANGO_BOLT_VERSION = "0.13.0"
#: The other interpreters Bolt's engines are measured on (``bolt-rust-py312``, ...): 3.12 is
#: django-bolt's, so its ratios are like for like; 3.13 is the newest Bolt supports.
OTHER_PYTHONS = ("3.12", "3.13")
BOLT_DISTRIBUTIONS = ("bolt-api", "bolt-rust", "bolt-py", "bolt-django")


def bolt_requirements() -> tuple[str, ...]:
    """The third-party distributions Bolt's four packages need, pinned to the versions the
    runner's environment has: a Bolt target on another Python gets the same libraries, only
    the interpreter differs. Bolt's own code comes from the run's snapshot (on
    ``PYTHONPATH``, with its packages' metadata, so the engines' entry points resolve); the
    Rust extension is built for the stable ABI, so the one build serves every interpreter.
    """
    pins: dict[str, str] = {}
    for dist in BOLT_DISTRIBUTIONS:
        for req in importlib.metadata.requires(dist) or ():
            if "extra ==" in req:
                continue  # optional extras (UIs, compression, testing) are not served here
            found = re.match(r"\s*([A-Za-z0-9._-]+)(\[[^\]]*\])?", req)
            if found is None:
                continue
            name, extras = found.group(1), found.group(2) or ""
            if name.lower().replace("_", "-") in BOLT_DISTRIBUTIONS:
                continue
            pins[name.lower()] = f"{name}{extras}=={importlib.metadata.version(name)}"
    return (*sorted(pins.values()), PSYCOPG_REQ)


@dataclass(frozen=True)
class VenvSpec:
    name: str
    python: str  # "same" (the runner's interpreter version) or a version: "3.12", "3.13"
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
    #: The commit a Bolt target's packages come from (``--baseline``), or None: the
    #: current tree (its snapshot).
    revision: str | None = None
    #: The ``Endpoint.feature``s its app serves (the ceilings serve none: constants only).
    features: tuple[str, ...] = tuple(FEATURES)

    @property
    def django(self) -> bool:
        return self.framework is not None

    def skip_reason(self, ep: Endpoint) -> str | None:
        """Why this target does not run ``ep`` (short, for the tables), or None."""
        if ep.needs_django and not self.django:
            return "no Django"
        if ep.feature is not None and ep.feature not in self.features:
            return f"no {FEATURES[ep.feature]}" if self.features else "a ceiling"
        if self.only is not None and ep.key not in self.only:
            return f"{key_span(self.only)} only"
        return None

    def supports(self, ep: Endpoint) -> bool:
        return self.skip_reason(ep) is None


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
        "PyJWT",
        "psycopg",
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
        *(
            Target(
                f"bolt-{engine}-py{version.replace('.', '')}",
                f"Bolt, {label} engine on Python {version} (runbolt --engine {engine})",
                VenvSpec(f"bolt-py{version}", version, bolt_requirements()),
                "bolt",
                bolt_dists,
                (
                    f"The same code, build and libraries as bolt-{engine}, on Python "
                    f"{version}: only the interpreter differs"
                    + (
                        " (django-bolt's, so these ratios against it are like for like)."
                        if version == "3.12"
                        else "."
                    ),
                ),
                engine=engine,
            )
            for version in OTHER_PYTHONS
            for engine, label in (("rust", "Rust"), ("python", "Python"))
        ),
        Target(
            "django-bolt",
            f"django-bolt {DJANGO_BOLT_VERSION} (runbolt --processes 1)",
            VenvSpec(
                "django-bolt",
                "3.12",
                (f"django-bolt=={DJANGO_BOLT_VERSION}", _django_pin(), PSYCOPG_REQ),
            ),
            "django-bolt",
            ("django-bolt", "Django", "msgspec", "psycopg"),
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
            VenvSpec(
                "django-bolt",
                "3.12",
                (f"django-bolt=={DJANGO_BOLT_VERSION}", _django_pin(), PSYCOPG_REQ),
            ),
            "django-bolt",
            ("django-bolt", "Django", "msgspec", "psycopg"),
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
            ("fastapi", "pydantic", "starlette", "uvicorn", "uvloop", "httptools", "PyJWT"),
            (
                "E9 through FastAPI's own recipe: an `HTTPBearer` dependency that decodes the "
                "token with PyJWT (HS256). No E10/E11: FastAPI's CORS is app-wide ASGI "
                "middleware (it would wrap every other endpoint too), and it has no rate "
                "limiting of its own.",
            ),
            features=("jwt", "threads"),
        ),
        Target(
            "uvicorn-raw",
            "bare ASGI app on uvicorn + httptools (Python ceiling)",
            VenvSpec("uvicorn-raw", "same", tuple(UVICORN_REQS)),
            None,
            ("uvicorn", "uvloop", "httptools", "msgspec"),
            features=(),
        ),
        Target(
            "granian-rsgi",
            "bare RSGI app on Granian (Rust-server ceiling)",
            VenvSpec("granian", "same", tuple(GRANIAN_REQS)),
            None,
            ("granian", "uvloop", "msgspec"),
            features=(),
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
            features=(),
        ),
    ]
    return {t.name: t for t in targets}


@dataclass
class Env:
    """Resolved interpreters and paths for one invocation."""

    args: argparse.Namespace
    tmp: Path
    pythons: dict[str, Path] = field(default_factory=dict)  # target name -> python
    #: Target name -> its database: a sqlite file's path or a ``postgresql://`` URL
    #: (``BOLT_BENCH_DB``, read by ``apps/djproject/settings.py``).
    dbs: dict[str, str] = field(default_factory=dict)
    #: The database E5 and E5s ran on, for the results ("PostgreSQL 16.4 ..." or "sqlite ...").
    database: str = ""
    #: The throw-away PostgreSQL cluster (``bench.database``), stopped when the run ends.
    cluster: Any = None
    #: A copy of Bolt's four packages taken when the run began (see ``snapshot_bolt``).
    snapshot: Path | None = None
    git: str | None = None
    #: Bolt's four packages at the ``--baseline`` revision (see ``baseline.build_baseline``),
    #: which the targets with a ``revision`` run from.
    baseline: Path | None = None


def target_env(target: Target, env: Env) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    out["PYTHONPATH"] = str(ROOT)
    snapshot = env.snapshot if target.revision is None else env.baseline
    if target.framework == "bolt" and snapshot is not None:
        out["PYTHONPATH"] = f"{snapshot}{os.pathsep}{ROOT}"
    out["PYTHONUNBUFFERED"] = "1"
    out.pop("PYTHONDONTWRITEBYTECODE", None)
    if target.django:
        out["DJANGO_SETTINGS_MODULE"] = "benchmarks.apps.djproject.settings"
        out["BENCH_FRAMEWORK"] = target.framework or ""
        out["BOLT_BENCH_DB"] = env.dbs[target.name]
    # Bolt's optimisations are all on unless the target switches some off (--ablation): a
    # BOLT_ABLATE left in the runner's environment would skew results that do not name it.
    out.pop("BOLT_ABLATE", None)
    out.update(target.extra_env)
    return out
