"""``bolt_api.testing`` needs httpx: the ``testing`` extra brings it, and without it the
import error says what to install (issue 12, finding 4)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import requires

from packaging.requirements import Requirement


def test_the_testing_extra_brings_httpx() -> None:
    reqs = [Requirement(r) for r in requires("bolt-api") or []]
    httpx = [r for r in reqs if r.name == "httpx"]
    assert httpx, reqs
    assert all(r.marker is not None and r.marker.evaluate({"extra": "testing"}) for r in httpx)
    assert not any(r.marker.evaluate({"extra": ""}) for r in httpx if r.marker is not None)


def test_without_httpx_the_import_error_names_the_extra() -> None:
    code = (
        "import sys; sys.modules['httpx'] = None\n"
        "try:\n"
        "    import bolt_api.testing\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert 'pip install "bolt-api[testing]"' in out
