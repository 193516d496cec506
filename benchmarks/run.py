#!/usr/bin/env python
"""The cross-engine benchmark runner (``nox -s bench -- [options]``; see benchmarks/README.md).

Each target is one server process pinned to one core (``taskset -c 0``), the load generator
(``wrk -t1``) is pinned to the other (``taskset -c 1``). The runner starts every target, waits
for each port to accept connections and checks that every endpoint answers the expected status
and body (anything else fails the whole run). Then, endpoint by endpoint, it warms each target
up and measures the targets in interleaved rounds (run 1 of every target, then run 2, ...; see
``measure_all``): req/s, latency percentiles, and the server's CPU time per request, read from
``/proc`` (utime + stime of the server process, all its threads and child processes) before
and after each run. Every comparison is a ratio within one invocation.

Modes::

    run.py [--targets ...] [--endpoints ...] [--duration S] [--runs N] [--quick]
    run.py --rss-soak N [--targets ...]     RSS after warm-up against RSS after N requests
    run.py --ablation [--endpoints ...]     bolt-rust with each optimisation of ``ABLATIONS``
                                            switched off in turn (``BOLT_ABLATE``)
    run.py --micro [pytest args]            the pytest-benchmark micro-benchmarks
    run.py --profile [--targets ...]        CPU per request split by shared object (perf),
                                            see ``benchmarks/profile.py``
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.bench.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
