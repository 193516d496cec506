"""What every part of the benchmark runner shares: paths, the one failure, the log line.

A benchmark that goes wrong must fail loudly, never record a number: every module raises
``BenchFailure`` and the command line (``cli.main``) turns it into "BENCHMARK FAILED".
"""

from __future__ import annotations

import time
from pathlib import Path

__all__ = ["BENCH", "BenchFailure", "RAW", "RESULTS", "ROOT", "VENVS", "WRK_DIR", "log"]


ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"
VENVS = BENCH / ".venvs"
RESULTS = BENCH / "results"
RAW = RESULTS / "raw"
WRK_DIR = BENCH / "wrk"


class BenchFailure(Exception):
    """A target did not start, answered wrongly, or wrk saw errors: the run is void."""


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)
