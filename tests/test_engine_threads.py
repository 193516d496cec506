"""An engine started again and again from pool threads keeps working (the Rust engine
crashed the second time it served from an ``asyncio.to_thread`` worker: mimalloc 3's thread
set-up, inside the extension, on a thread Python had made; bolt-rust now builds mimalloc 2,
and deletes its worker threads' Python thread states when they end)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT

SCRIPT = """
import asyncio, sys
from bolt_api import BoltAPI
from bolt_api.testing import TestClient

api = BoltAPI()

@api.get("/")
def home() -> dict[str, int]:
    return {"ok": 1}

def one() -> None:
    with TestClient(api, sys.argv[1]) as client:
        assert client.get("/").json() == {"ok": 1}

for _ in range(4):
    asyncio.run(asyncio.to_thread(one))
print("served 4 times")
"""


def test_test_clients_started_from_pool_threads(engine: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, engine],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "served 4 times" in result.stdout
