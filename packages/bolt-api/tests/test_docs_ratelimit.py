"""The examples of docs/cors-and-limits.md's "# Rate limiting" part run: each Python block
(except the settings one) is executed and the answers the page shows are checked against
the compiled API, through the routes' callables as an engine calls them. The block that
configures Django runs in a fresh interpreter, so this process's settings stay untouched."""

from __future__ import annotations

import subprocess
import sys
import time
import types
from pathlib import Path
from typing import Any

import jwt
import msgspec
from bolt_api import BoltAPI
from bolt_api_fakes import FakeRequest, compiled_call

DOC = Path(__file__).resolve().parents[3] / "docs" / "cors-and-limits.md"
PART = DOC.read_text().split("\n# Rate limiting", 1)[1]
BLOCKS = [b.split("```", 1)[0] for b in PART.split("```python\n")[1:]]
RUNNABLE = [b for b in BLOCKS if "settings.py" not in b]


def run_block(block: str, index: int) -> types.ModuleType:
    module = types.ModuleType(f"docs_ratelimit_{index}")
    sys.modules[module.__name__] = module
    exec(compile(block, f"{DOC}:ratelimit-block{index}", "exec"), module.__dict__)
    return module


_calls: dict[tuple[int, str], Any] = {}


def get(api: BoltAPI, path: str, ip: str, **headers: str) -> tuple[int, dict[str, str], Any]:
    """``GET path`` from ``ip``, through the route's callable compiled once per API (each
    compile starts the in-process store afresh)."""
    call = _calls.get((id(api), path))
    if call is None:
        call = _calls[id(api), path] = compiled_call(api, "GET", path)
    request = FakeRequest("GET", path, headers=headers)
    request.client = (ip, 50000)  # type: ignore[assignment]
    status, out, body = call(request)
    return status, dict(out), msgspec.json.decode(body)  # type: ignore[arg-type]


def test_every_block_is_checked() -> None:
    assert (len(BLOCKS), len(RUNNABLE)) == (4, 3)


def test_a_limit_per_client_address() -> None:
    api = run_block(RUNNABLE[0], 0).api
    call = compiled_call(api, "GET", "/search")
    request = FakeRequest("GET", "/search")
    request.client = ("192.0.2.1", 1)  # type: ignore[assignment]
    assert [call(request)[0] for _ in range(2)] == [200, 200]
    status, headers, body = call(request)  # type: ignore[misc]
    assert status == 429
    assert body == b'{"detail":"Rate limit exceeded. Try again in 1 seconds.","retry_after":1}'
    named = dict(headers)
    assert (named["retry-after"], named["x-ratelimit-limit"], named["x-ratelimit-burst"]) == (
        "1",
        "2",
        "2",
    )
    other = FakeRequest("GET", "/search")
    other.client = ("192.0.2.2", 1)  # type: ignore[assignment]
    assert call(other)[0] == 200  # type: ignore[index]  # another client
    time.sleep(0.55)
    assert call(request)[0] == 200  # type: ignore[index]


def test_keys() -> None:
    module = run_block(RUNNABLE[1], 1)
    api = module.api
    tenant_a, tenant_b = {"x-tenant": "a"}, {"x-tenant": "b"}
    assert get(api, "/tenant", "192.0.2.1", **tenant_a)[0] == 200
    assert get(api, "/tenant", "192.0.2.1", **tenant_a)[0] == 429
    assert get(api, "/tenant", "192.0.2.1", **tenant_b)[0] == 200
    team_a = {"x-api-key": "key-of-team-a"}
    assert get(api, "/reports", "192.0.2.1", **team_a)[0] == 200
    assert get(api, "/reports", "192.0.2.9", **team_a)[0] == 429  # the key's, any address
    assert get(api, "/reports", "192.0.2.1", **{"x-api-key": "key-of-team-b"})[0] == 200
    secret = module.jwt.secret
    for user, expected in (("alice", 200), ("alice", 429), ("bob", 200)):
        token = jwt.encode({"sub": user, "exp": int(time.time()) + 60}, secret, "HS256")
        assert get(api, "/me", "192.0.2.1", authorization=f"Bearer {token}")[0] == expected


def test_a_shared_cache() -> None:
    check = "\n".join(
        [
            "import sys",
            "sys.path.insert(0, sys.argv[1])",
            "from bolt_api_fakes import FakeRequest, compiled_call",
            "call = compiled_call(api, 'GET', '/export')",
            "print([call(FakeRequest('GET', '/export'))[0] for _ in range(4)])",
            "from django.core.cache import caches",
            "print(len(caches['shared']._cache))",
        ]
    )
    out = subprocess.run(
        [sys.executable, "-c", RUNNABLE[2] + "\n" + check, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert out[0] == "[200, 200, 200, 429]"
    assert out[1] == "1"  # the client's time, in the "shared" cache
