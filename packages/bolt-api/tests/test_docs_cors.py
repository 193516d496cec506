"""The examples of docs/cors-and-limits.md run: each Python block (except the settings one)
is executed and the answers the page shows are checked against the compiled API — routes
through their callables, preflights of ``GET`` routes through the routing-miss handler, as
an engine calls them."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import msgspec
from bolt_api import BoltAPI
from bolt_api_fakes import FakeRequest, compiled_call

DOC = Path(__file__).resolve().parents[3] / "docs" / "cors-and-limits.md"
#: The page's CORS part (its "# Rate limiting" part is test_docs_ratelimit.py's).
BLOCKS = [
    b
    for b in re.findall(r"```python\n(.*?)```", DOC.read_text().split("\n# Rate limiting")[0], re.S)
    if "settings.py" not in b
]
APP = "https://app.example.com"


def run_block(index: int) -> types.ModuleType:
    module = types.ModuleType(f"docs_cors_{index}")
    sys.modules[module.__name__] = module
    exec(compile(BLOCKS[index], f"{DOC}:block{index}", "exec"), module.__dict__)
    return module


def get(api: BoltAPI, path: str, origin: str) -> tuple[int, dict[str, str], Any]:
    status, headers, body = compiled_call(api, "GET", path)(
        FakeRequest("GET", path, headers={"origin": origin})
    )
    return status, dict(headers), msgspec.json.decode(body)


def preflight(api: BoltAPI, path: str, origin: str) -> tuple[int, dict[str, str]]:
    request = FakeRequest(
        "OPTIONS", path, headers={"origin": origin, "access-control-request-method": "GET"}
    )
    status, headers, body = api.compile().fallback(request, ("GET",))
    assert body == b""
    return status, dict(headers)


def test_every_block_is_checked() -> None:
    assert len(BLOCKS) == 3


def test_one_policy_for_the_api() -> None:
    api = run_block(0).api
    status, headers, body = get(api, "/items", APP)
    assert (status, body) == (200, [1, 2])
    assert headers["access-control-allow-origin"] == APP
    assert headers["access-control-allow-credentials"] == "true"
    assert headers["access-control-expose-headers"] == "x-total-count"
    assert headers["vary"] == "Origin"
    preview = "https://pr-7.preview.example.com"
    assert get(api, "/items", preview)[1]["access-control-allow-origin"] == preview
    evil = get(api, "/items", "https://evil.example")[1]
    assert not [name for name in evil if name.startswith("access-control-")]
    status, headers = preflight(api, "/items", APP)
    assert status == 204
    assert headers["access-control-allow-methods"] == "GET, POST, PUT, PATCH, DELETE, OPTIONS"
    assert headers["access-control-allow-headers"] == "content-type, authorization"
    assert headers["access-control-max-age"] == "3600"


def test_a_routes_own_policy() -> None:
    api = run_block(1).api
    partner = "https://partner.example"
    assert get(api, "/widget", partner)[1]["access-control-allow-origin"] == partner
    assert "access-control-allow-origin" not in get(api, "/widget", APP)[1]
    status, headers = preflight(api, "/widget", partner)
    assert (status, headers["access-control-allow-methods"]) == (204, "GET")
    assert headers["access-control-max-age"] == "60"
    assert get(api, "/public", "https://any.example")[1]["access-control-allow-origin"] == "*"
    mine = get(api, "/mine", APP)[1]
    assert mine["access-control-allow-origin"] == APP
    assert mine["access-control-allow-credentials"] == "true"
    assert "access-control-allow-origin" not in get(api, "/mine", partner)[1]


def test_allowed_hosts() -> None:
    call = compiled_call(run_block(2).api, "GET", "/hello")
    for host, answer in [
        ("api.example.com", (200, {"hello": "world"})),
        ("www.example.org:8000", (200, {"hello": "world"})),
        ("evil.example", (400, {"detail": "Invalid Host header"})),
    ]:
        status, _, body = call(FakeRequest("GET", "/hello", headers={"host": host}))
        assert (status, msgspec.json.decode(body)) == answer
