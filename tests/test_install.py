"""The README's install steps, run as a user would: a fresh virtualenv, the packages
installed with pip from this checkout (not editable), a new Django project with
``"bolt_django"`` in ``INSTALLED_APPS``, ``manage.py check``, then ``manage.py runbolt``
answering on each engine.

The Rust engine is built by ``pip install ./packages/bolt-rust`` through maturin, as in the
README, with two settings that only save time: ``MATURIN_PEP517_ARGS=--profile fast`` (no
fat LTO) and the checkout's ``target/`` directory, so cargo reuses the build nox made.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import ROOT, Server, start_server

PACKAGES = ROOT / "packages"


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, f"{argv}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """``(python, project)``: the virtualenv's interpreter and the Django project's folder."""
    base = tmp_path_factory.mktemp("install")
    venv = base / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=base)
    python = venv / "bin" / "python"
    clean = {"PYTHONPATH": "", "VIRTUAL_ENV": str(venv)}
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", cwd=base, env=clean)
    run(
        python, "-m", "pip", "install", "--quiet",
        PACKAGES / "bolt-api", PACKAGES / "bolt-py", PACKAGES / "bolt-django",
        f"{PACKAGES / 'bolt-api'}[testing]",
        cwd=base, env=clean,
    )  # fmt: skip
    run(
        python, "-m", "pip", "install", "--quiet", PACKAGES / "bolt-rust",
        cwd=base,
        env={**clean, "MATURIN_PEP517_ARGS": "--profile fast",
             "CARGO_TARGET_DIR": str(ROOT / "target")},
    )  # fmt: skip
    run(venv / "bin" / "django-admin", "startproject", "mysite", base, cwd=base, env=clean)
    (base / "shop").mkdir()
    (base / "shop" / "__init__.py").write_text("")
    (base / "shop" / "api.py").write_text(
        textwrap.dedent(
            """
            from bolt_api import BoltAPI

            api = BoltAPI()

            @api.get("/items/{item_id}")
            async def read_item(item_id: int, q: str | None = None) -> dict:
                return {"item_id": item_id, "q": q}
            """
        )
    )
    settings = base / "mysite" / "settings.py"
    text = settings.read_text().replace(
        "INSTALLED_APPS = [", 'INSTALLED_APPS = [\n    "bolt_django",\n    "shop",', 1
    )
    settings.write_text(text)
    run(python, "manage.py", "migrate", "--verbosity", "0", cwd=base, env=clean)
    yield python, base


def test_the_packages_are_installed_from_the_checkout_not_editable(
    project: tuple[Path, Path],
) -> None:
    python, base = project
    where = run(
        python, "-c",
        "import bolt_api.testing, bolt_py, bolt_django, bolt_rust; print(bolt_api.__file__)",
        cwd=base, env={"PYTHONPATH": ""},
    )  # fmt: skip
    assert str(python.parent.parent) in where, where


def test_manage_py_check_sees_the_api(project: tuple[Path, Path]) -> None:
    python, base = project
    out = run(python, "manage.py", "check", cwd=base, env={"PYTHONPATH": ""})
    assert "System check identified no issues" in out


def test_runbolt_serves_the_first_api(project: tuple[Path, Path], engine: str) -> None:
    python, base = project
    srv: Server = start_server(
        ["manage.py", "runbolt", "--engine", engine, "--port", "0"],
        engine,
        cwd=base,
        env={"PYTHONPATH": ""},
        python=str(python),
    )
    try:
        r = httpx.get(f"{srv.url}/items/3?q=x", timeout=10)
        assert (r.status_code, r.json()) == (200, {"item_id": 3, "q": "x"})
        admin = httpx.get(f"{srv.url}/admin/login/", timeout=10)
        assert admin.status_code == 200 and "Django" in admin.text  # the fallback to Django
    finally:
        srv.stop()


def test_wheels_for_machines_without_rust(project: tuple[Path, Path], tmp_path: Path) -> None:
    """The README's wheel recipe: pip wheel for the three pure packages, maturin for the
    Rust engine (one abi3 wheel), and pip installs them."""
    python, base = project
    dist = tmp_path / "dist"
    run(
        python, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist,
        PACKAGES / "bolt-api", PACKAGES / "bolt-py", PACKAGES / "bolt-django",
        cwd=base, env={"PYTHONPATH": ""},
    )  # fmt: skip
    run(
        sys.executable, "-m", "maturin", "build", "--quiet", "--profile", "fast",
        "-m", PACKAGES / "bolt-rust" / "Cargo.toml", "-o", dist,
        cwd=ROOT, env={"CARGO_TARGET_DIR": str(ROOT / "target")},
    )  # fmt: skip
    wheels = sorted(p.name for p in dist.glob("*.whl"))
    assert [w.split("-")[0] for w in wheels] == ["bolt_api", "bolt_django", "bolt_py", "bolt_rust"]
    assert "-abi3-" in wheels[-1]
    run(
        python, "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall",
        *sorted(dist.glob("*.whl")),
        cwd=base, env={"PYTHONPATH": ""},
    )  # fmt: skip
    run(python, "-c", "import bolt_rust, bolt_django", cwd=base, env={"PYTHONPATH": ""})
