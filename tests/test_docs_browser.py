"""The example project's docs, as a person (and a fuzzer) sees them, on each engine.

Headless Chromium loads ``/docs`` (Swagger UI), ``/docs/redoc`` and ``/docs/scalar`` with
every host but 127.0.0.1 unresolvable — so a page that needed a CDN would stay blank — takes
a screenshot and checks the rendered DOM lists the example's operations. schemathesis then
fuzzes the example project from its own document. The browser tests are skipped only when no
Chromium is installed (``nox -s tests`` installs Debian's ``chromium`` when run as root).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Server
from .test_django import serve_example
from .test_openapi import run_schemathesis

BROWSER = next(
    (
        found
        for name in ("chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
needs_browser = pytest.mark.skipif(
    BROWSER is None, reason="no headless Chromium on this machine (apt-get install chromium)"
)

#: Operation summaries of examples/catalog/api.py, as every UI shows them.
OPERATIONS = ("Index", "Read Item", "Create Item", "List Items", "Get Item", "Hello", "Teapot")


@pytest.fixture(scope="module")
def example(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from serve_example(engine, tmp_path_factory, "docs")


def chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert BROWSER is not None
    command = [
        BROWSER,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        "--window-size=1280,1600",
        f"--user-data-dir={profile}",
        # No network but this machine: a page that needs a CDN would not render.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--virtual-time-budget=8000",
        *args,
        url,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@needs_browser
def test_swagger_ui_renders_offline(example: Server, tmp_path: Path) -> None:
    shot = tmp_path / "docs.png"
    result = chromium(example.url + "/docs", tmp_path / "profile", f"--screenshot={shot}")
    assert shot.exists(), result.stderr[-3000:]
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 20_000  # a blank page compresses to a few kB
    dom = chromium(example.url + "/docs", tmp_path / "profile", "--dump-dom").stdout
    assert 'class="swagger-ui' in dom
    for summary in OPERATIONS:
        assert summary in dom, summary
    assert 'data-path="/db/items/{item_id}"' in dom


@needs_browser
@pytest.mark.parametrize("page", ["/docs/redoc", "/docs/scalar"])
def test_other_uis_render_offline(example: Server, tmp_path: Path, page: str) -> None:
    dom = chromium(example.url + page, tmp_path / "profile", "--dump-dom").stdout
    for summary in OPERATIONS:
        assert summary in dom, (page, summary)


def test_schemathesis_on_the_example_project(example: Server, tmp_path: Path) -> None:
    run_schemathesis(example, tmp_path)
