"""The ways in to the server wing: the ``bolt`` console script, ``python -m bolt_api`` and
``bolt_api.serve`` all reach :mod:`bolt_api.server`."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import bolt_api
import bolt_api.server


def test_the_bolt_console_script_is_the_wings_main() -> None:
    (script,) = entry_points(group="console_scripts", name="bolt")
    assert script.load() is bolt_api.server.main


def test_python_m_bolt_api_runs_the_bolt_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bolt_api", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: bolt serve ")
    assert "--dev" in result.stdout


def test_serve_is_exported_from_the_top_level() -> None:
    assert bolt_api.serve is bolt_api.server.serve
