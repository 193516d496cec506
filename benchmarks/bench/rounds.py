"""Measuring many targets in interleaved rounds, so machine noise lands on every side of a ratio.

Every server is started and verified first; then, per endpoint, each target is warmed up
and the runs go in rounds (run 1 of every target, then run 2, the order rotated by one each
round); a run disturbed by other load is repeated. The ablation and ``--baseline`` modes use
the same rounds with other targets.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

import argparse
import re
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.bench.base import log
from benchmarks.bench.endpoints import Endpoint
from benchmarks.bench.load import run_wrk, wait_for_quiet
from benchmarks.bench.measure import memory_kb, process_tree
from benchmarks.bench.servers import Server, start_server, verify
from benchmarks.bench.targets import Env, Target

__all__ = [
    "Measured",
    "close_target",
    "count_access_log",
    "measure_all",
    "measured_run",
    "open_target",
    "preflight",
]


#: In every access-log line (the request line; bolt_rust's access_log.rs, bolt_py's).
_ACCESS_MARK = b' HTTP/1.1" '
_DROPPED = re.compile(rb"access log behind; (\d+) line")


def count_access_log(path: Path, offset: int) -> dict[str, int]:
    """Access-log lines in ``path`` after ``offset``, and the lines Bolt said it dropped.

    Bolt drops a line rather than block a worker when its writer thread is behind, and says
    so on stderr at each power of two: ``dropped`` is a lower bound.
    """
    lines = dropped = 0
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f:
            if _ACCESS_MARK in line:
                lines += 1
            elif (m := _DROPPED.search(line)) is not None:
                dropped = max(dropped, int(m.group(1)))
    return {"lines": lines, "dropped": dropped}


@dataclass(eq=False)
class Measured:
    """One target under measurement: its live server and what has been measured so far."""

    target: Target
    server: Server
    endpoints: list[Endpoint]
    log_path: Path
    log_offset: int
    wrk_log: Path
    result: dict[str, Any]
    total_requests: int = 0


def open_target(target: Target, endpoints: list[Endpoint], env: Env, logs: Path) -> Measured:
    """Start ``target``'s server, check every endpoint it serves, and note its RSS."""
    eps = [e for e in endpoints if target.supports(e)]
    log(f"{target.name}: starting ({target.description})")
    log_path = logs / f"{target.name}.log"
    log_offset = log_path.stat().st_size if log_path.exists() else 0  # after the preflight's
    t_start = time.monotonic()
    server = start_server(target, env, log_path)
    startup = time.monotonic() - t_start
    seen = verify(server, eps)
    mem_start = memory_kb(process_tree(server.pid))
    log(
        f"{target.name}: pid {server.pid}, listening after {startup:.2f} s, "
        f"{len(eps)} endpoints verified, RSS {mem_start['rss_kb'] / 1024:.1f} MB"
    )
    result: dict[str, Any] = {
        "endpoints": {},
        "verified": seen,
        "startup_s": startup,
        "mem_start": mem_start,
    }
    return Measured(
        target, server, eps, log_path, log_offset, logs / f"{target.name}.wrk.log", result
    )


def measured_run(m: Measured, ep: Endpoint, args: argparse.Namespace) -> tuple[dict[str, Any], int]:
    """One counted run of ``ep`` against ``m``, repeated while it is noisy (up to --retries).

    Returns the run and how many noisy attempts were thrown away before it.
    """
    retried = 0
    while True:
        wait_for_quiet(args)
        run = run_wrk(m.server, ep, args.duration, args, m.wrk_log)
        m.total_requests += run["requests"]
        # Noisy: someone else took time on the server's core; or the server was not the
        # bottleneck (below 90 %) while someone else used wrk's core or neither kept its core
        # busy (the VM lost CPU time some other way). wrk's core also runs the helpers (the
        # database, HOL's slow client): their time is theirs, not someone else's.
        noisy = run["other_server_core"] > args.max_noise or (
            run["server_util"] < 0.90
            and (
                run["other_client_core"] > args.max_noise
                or max(run["server_util"], run["client_util"] + run["helper_util"]) < 0.80
            )
        )
        run["noisy"] = noisy
        if not noisy or retried >= args.retries:
            return run, retried
        retried += 1
        log(
            f"  {m.target.name} {ep.key}: noisy run (other load "
            f"{run['other_server_core']:.0%} / {run['other_client_core']:.0%}, server "
            f"{run['server_util']:.0%}, wrk {run['client_util']:.0%}), repeating it"
        )


def close_target(m: Measured) -> dict[str, Any]:
    """Check the endpoints once more after the load, note RSS, stop, count the access log."""
    target, result = m.target, m.result
    try:
        verify(m.server, m.endpoints)  # still alive and still right after the load
        result["mem_end"] = memory_kb(process_tree(m.server.pid))
        result["total_requests"] = m.total_requests
    finally:
        m.server.stop()
    if target.access_log:  # counted once the server has stopped and its writer has flushed
        counted = count_access_log(m.log_path, m.log_offset)
        # wrk's requests plus verify()'s, before and after (wrk does not count the responses
        # still in flight when it stops, so a few more lines than this are normal).
        counted["served"] = m.total_requests + 2 * len(m.endpoints)
        result["access_log"] = counted
        log(
            f"{target.name}: {counted['lines']:,} access-log lines for {counted['served']:,} "
            f"requests served"
            + (f", at least {counted['dropped']:,} lines dropped" if counted["dropped"] else "")
        )
    return result


def measure_all(
    targets: list[Target], endpoints: list[Endpoint], env: Env, logs: Path
) -> dict[str, dict[str, Any]]:
    """Measure every target on every endpoint, the targets' runs interleaved.

    Every server is started first and stays up (idle servers cost nothing on the server
    core). For each endpoint each target is warmed up, then the runs go in rounds: run 1 of
    every target, then run 2 of every target, ..., the order of the targets rotated by one
    each round. A target's runs are so spread over the same minutes as its peer's: a slow
    patch of this shared VM lands on both sides of a ratio instead of on whichever target
    happened to be measured during it (measured one target after another, the same build
    read 1.05 and 1.16 times django-bolt's req/s on E1 an hour apart).
    """
    args = env.args
    opened: list[Measured] = []
    try:
        for target in targets:
            opened.append(open_target(target, endpoints, env, logs))
        for ep in endpoints:
            here = [m for m in opened if ep in m.endpoints]
            if not here:
                continue
            log(f"{ep.key} {ep.name}: {len(here)} targets × {args.runs} runs, interleaved")
            if args.warmup > 0:
                for m in here:
                    m.total_requests += run_wrk(m.server, ep, args.warmup, args, m.wrk_log)[
                        "requests"
                    ]
            runs: dict[str, list[dict[str, Any]]] = {m.target.name: [] for m in here}
            retried = dict.fromkeys(runs, 0)
            for round_no in range(args.runs):
                shift = round_no % len(here)
                for m in here[shift:] + here[:shift]:
                    run, thrown = measured_run(m, ep, args)
                    runs[m.target.name].append(run)
                    retried[m.target.name] += thrown
            for m in here:
                mine = runs[m.target.name]
                rps = [r["rps"] for r in mine]
                cpu = [r["cpu_us_per_req"] for r in mine]
                p99 = statistics.median(r["latency_us"]["p99"] for r in mine) / 1000
                log(
                    f"  {m.target.name:<14} {statistics.median(rps):>10,.0f} req/s "
                    f"[{min(rps):,.0f}–{max(rps):,.0f}]  {statistics.median(cpu):7.1f} µs "
                    f"CPU/req  p99 {p99:.2f} ms  "
                    f"server {statistics.median(r['server_util'] for r in mine):.0%} "
                    f"wrk {statistics.median(r['client_util'] for r in mine):.0%}"
                )
                m.result["endpoints"][ep.key] = {"runs": mine, "retried": retried[m.target.name]}
        return {m.target.name: close_target(m) for m in opened}
    finally:
        for m in opened:
            m.server.stop()


def preflight(targets: list[Target], endpoints: list[Endpoint], env: Env, logs: Path) -> None:
    """Start, verify and stop every target before measuring anything: fail in seconds."""
    for target in targets:
        server = start_server(target, env, logs / f"{target.name}.log")
        try:
            seen = verify(server, [e for e in endpoints if target.supports(e)])
        finally:
            server.stop()
        log(f"preflight {target.name}: OK ({', '.join(seen)})")
