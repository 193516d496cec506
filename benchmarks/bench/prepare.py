"""Getting the targets ready to run: the peers' virtualenvs, the databases, Bolt's snapshot.

Peers run from pinned virtualenvs under ``benchmarks/.venvs/`` (reused while their
requirements are unchanged); every Django target gets its own seeded database (PostgreSQL,
or sqlite without it: ``bench.database``); Bolt
runs from a copy of its packages taken when the run began (``snapshot_bolt``), so another
session editing or rebuilding the checkout cannot change what is measured halfway.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.bench.base import ROOT, VENVS, BenchFailure, log
from benchmarks.bench.database import start_database
from benchmarks.bench.targets import BOLT_DISTRIBUTIONS, Env, Target, VenvSpec, target_env

__all__ = [
    "BOLT_PACKAGES",
    "base_python_same",
    "ensure_venv",
    "find_python",
    "prepare",
    "snapshot_bolt",
]


def base_python_same() -> Path:
    return Path(getattr(sys, "_base_executable", None) or sys.executable)


def find_python(version: str, explicit: str | None = None) -> Path:
    """An interpreter of Python ``version`` ("3.12"): ``explicit`` when given, else pyenv's
    newest of that minor version, else ``python3.12`` on ``PATH``."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    major, minor = (int(x) for x in version.split("."))
    candidates = (
        [explicit]
        if explicit
        else [
            str(p)
            for p in sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))[::-1]
        ]
        + [p for p in (shutil.which(f"python{version}"),) if p]
    )
    check = f"import sys; sys.exit(sys.version_info[:2] != ({major}, {minor}))"
    for candidate in candidates:
        try:  # a pyenv shim exists even when that version is not selected: run it to know
            ok = subprocess.run([candidate, "-c", check], capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if ok.returncode == 0:
            return Path(candidate)
    raise BenchFailure(
        f"no Python {version} found (pass --python{version.replace('.', '')} PATH, "
        f"or `pyenv install {version}`)"
    )


def ensure_venv(spec: VenvSpec, args: argparse.Namespace) -> Path:
    """Create (or reuse) benchmarks/.venvs/<name> with exactly ``spec.requirements``."""
    if spec.python == "same":
        base = base_python_same()
    else:
        explicit = getattr(args, f"python{spec.python.replace('.', '')}", None)
        base = find_python(spec.python, explicit)
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


def prepare(targets: list[Target], env: Env) -> None:
    args = env.args
    for target in targets:
        if target.venv is not None:
            env.pythons[target.name] = ensure_venv(target.venv, args)
        elif target.name != "nginx":
            env.pythons[target.name] = Path(sys.executable)
    start_database(targets, env)
    for target in targets:
        if not target.django:
            continue
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
    _copy_metadata(dest)
    return dest


def _copy_metadata(dest: Path) -> None:
    """Put the four distributions' metadata (``*.dist-info``) beside the packages, so that
    an interpreter with the snapshot on ``PYTHONPATH`` but without Bolt installed (the
    ``bolt-*-py312`` targets) finds the engines' entry points and Bolt's versions."""
    import importlib.metadata

    for name in BOLT_DISTRIBUTIONS:
        files = importlib.metadata.distribution(name).files or []
        info = next((f for f in files if f.parts and f.parts[0].endswith(".dist-info")), None)
        if info is None:
            raise BenchFailure(f"{name}'s metadata is not found: run it with `nox -s bench`")
        source = Path(str(info.locate())).parents[len(info.parts) - 2]
        shutil.copytree(source, dest / source.name)
