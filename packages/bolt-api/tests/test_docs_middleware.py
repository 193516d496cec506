"""The first example of docs/middleware.md runs and answers as the page says: the API's,
the router's and the route's middleware on ``/shop/items``, ``@skip_middleware`` on
``/health`` (the Django examples need a project: tests/test_django_middleware.py)."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

from bolt_api_fakes import FakeRequest, compiled_call

DOC = Path(__file__).resolve().parents[3] / "docs" / "middleware.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


def test_the_first_example() -> None:
    module = types.ModuleType("docs_middleware_0")
    sys.modules[module.__name__] = module
    exec(compile(BLOCKS[0], f"{DOC}:block0", "exec"), module.__dict__)
    api = module.api
    status, headers, body = compiled_call(api, "GET", "/shop/items")(
        FakeRequest("GET", "/shop/items", headers={"x-who": "me"})
    )
    names = [name for name, _ in headers]
    assert (status, body) == (200, b"[1,2]")
    assert dict(headers)["x-served-by"] == "bolt"
    assert names.count("x-served-by") == 1  # set by two layers: replaced, not repeated
    assert "x-request-id" in names and "x-response-time" in names
    status, headers, body = compiled_call(api, "GET", "/health")(FakeRequest("GET", "/health"))
    assert (status, body) == (200, b'{"status":"ok"}')
    assert "x-request-id" not in dict(headers)
