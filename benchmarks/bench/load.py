"""The load generator: ``wrk -t1`` pinned to its own core, and the wait for quiet cores.

``run_wrk`` is one run: wrk's summary (``wrk/report.lua``'s ``BENCH_JSON`` line) plus the
server's CPU time and RSS and each core's other load over the same interval; any error wrk
saw fails the run. The processes that serve the run without being the server — the
PostgreSQL cluster, HOL's slow-request client, both pinned to wrk's core — are measured
too (``helper_cpu_s``) and not counted as other load. ``check_tools`` refuses to start
without wrk, taskset and two free cores.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from benchmarks.apps import common
from benchmarks.bench.background import SlowRequests
from benchmarks.bench.base import ROOT, WRK_DIR, BenchFailure, log
from benchmarks.bench.database import helper_pids
from benchmarks.bench.endpoints import Endpoint, request_headers
from benchmarks.bench.measure import core_busy_seconds, cpu_seconds, memory_kb, process_tree
from benchmarks.bench.nginx import nginx_binary
from benchmarks.bench.servers import Server
from benchmarks.bench.targets import Target

__all__ = ["check_tools", "run_wrk", "wait_for_quiet"]


def wait_for_quiet(args: argparse.Namespace) -> float:
    """Wait (up to ``--quiet-timeout`` s) until both benchmark cores are nearly idle.

    Called between runs, when the server under test is idle: busy time then is someone
    else's (another build or test suite on a shared machine). Returns the seconds waited.
    """
    cpus = (args.server_cpu, args.client_cpu)
    t0 = time.monotonic()
    while True:
        before = core_busy_seconds(cpus)
        time.sleep(0.5)
        after = core_busy_seconds(cpus)
        load = max((after[c] - before[c]) / 0.5 for c in cpus)
        waited = time.monotonic() - t0
        if load <= args.max_noise or waited >= args.quiet_timeout:
            if waited > 5:
                log(
                    f"  waited {waited:.0f} s for other load on the benchmark cores to stop "
                    f"(now {load:.0%})"
                )
            return waited


def run_wrk(
    server: Server,
    ep: Endpoint,
    duration: int,
    args: argparse.Namespace,
    raw_log: Path | None = None,
) -> dict[str, Any]:
    """One wrk run; returns wrk's summary plus server CPU/RSS and core load during it."""
    script = WRK_DIR / ep.script
    url = f"http://127.0.0.1:{server.port}{ep.path}"
    sent = {k: v for k, v in request_headers(ep).items() if k != "Content-Type"}  # the script's
    headers = [arg for k, v in sent.items() for arg in ("-H", f"{k}: {v}")]
    cmd = [
        "taskset",
        "-c",
        str(args.client_cpu),
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{duration}s",
        "--latency",
        # HOL: a request stuck behind the slow ones is a latency to report, not a timeout
        *(["--timeout", f"{duration + 10}s"] if ep.background else []),
        *headers,
        "-s",
        str(script),
        url,
    ]
    wrk_env = {**os.environ, "BOLT_BENCH_BODY": str(common.USER_BODY_PATH)}
    cpus = (args.server_cpu, args.client_cpu)
    slow = None
    if ep.background is not None:
        slow = SlowRequests(
            server.port, ep.background, common.SLOW_IN_FLIGHT, args.client_cpu, str(ROOT)
        )
        try:
            slow.start()
        except RuntimeError as exc:
            raise BenchFailure(f"{server.target.name} {ep.key}: {exc}") from exc

    def helpers() -> list[int]:
        return [*helper_pids(), *(process_tree(slow.pid) if slow is not None else ())]

    try:
        pids = process_tree(server.pid)
        cpu0, helper0 = cpu_seconds(pids), cpu_seconds(helpers())
        busy0 = core_busy_seconds(cpus)
        t0 = time.monotonic()
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=wrk_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert proc.stdout is not None
        output = proc.stdout.read().decode(errors="replace")
        _, status, rusage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - t0
        pids = process_tree(server.pid)
        cpu1, helper1 = cpu_seconds(pids), cpu_seconds(helpers())
        busy1 = core_busy_seconds(cpus)
        mem = memory_kb(pids)
        background = slow.stop() if slow is not None else None
    except RuntimeError as exc:
        raise BenchFailure(f"{server.target.name} {ep.key}: {exc}") from exc
    finally:
        if slow is not None and slow.process is not None and slow.process.poll() is None:
            slow.process.kill()
    if raw_log is not None:
        with open(raw_log, "a") as f:
            f.write(f"$ {shlex.join(cmd)}\n{output}\n")
            if background is not None:
                f.write(f"slow requests to {ep.background}: {background}\n")
    if proc.returncode != 0:
        raise BenchFailure(
            f"wrk failed ({proc.returncode}) on {server.target.name} {ep.key}:\n{output}"
        )
    line = next((ln for ln in output.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise BenchFailure(f"no summary from wrk on {server.target.name} {ep.key}:\n{output}")
    summary = json.loads(line.removeprefix("BENCH_JSON "))
    requests = summary["requests"]
    errors = summary["errors"]
    name = f"{server.target.name} {ep.key} ({ep.method} {ep.path})"
    if not server.alive():
        raise BenchFailure(f"{name}: the server died during the run:\n{server.log_tail()}")
    if requests <= 0:
        raise BenchFailure(f"{name}: wrk completed no request:\n{output}")
    if ep.status < 400 and errors["status"]:
        raise BenchFailure(
            f"{name}: {errors['status']} of {requests} responses were 4xx/5xx "
            f"(expected all {ep.status}):\n{output}"
        )
    if ep.status >= 400 and errors["status"] != requests:
        raise BenchFailure(
            f"{name}: only {errors['status']} of {requests} responses were "
            f"4xx/5xx (expected all {ep.status}):\n{output}"
        )
    socket_errors = errors["read"] + errors["write"] + errors["timeout"]
    if errors["connect"] or socket_errors > 0.01 * requests:
        raise BenchFailure(f"{name}: socket errors {errors}:\n{output}")
    if background is not None and (background["failed"] or background["undrained"]):
        raise BenchFailure(f"{name}: the slow requests to {ep.background}: {background}")
    seconds = summary["duration_us"] / 1e6
    server_cpu = cpu1 - cpu0
    helper_cpu = helper1 - helper0  # pinned to wrk's core
    client_cpu = rusage.ru_utime + rusage.ru_stime
    return {
        "requests": requests,
        "seconds": seconds,
        "rps": requests / seconds,
        "latency_us": summary["latency_us"],
        "errors": errors,
        "bytes": summary["bytes"],
        "server_cpu_s": server_cpu,
        "cpu_us_per_req": server_cpu / requests * 1e6,
        "server_util": server_cpu / wall,
        "client_util": client_cpu / wall,
        # busy time on each core not accounted to the server / wrk: other processes, softirq
        "other_server_core": max(
            0.0, (busy1[args.server_cpu] - busy0[args.server_cpu]) - server_cpu
        )
        / wall,
        "other_client_core": max(
            0.0, (busy1[args.client_cpu] - busy0[args.client_cpu]) - client_cpu - helper_cpu
        )
        / wall,
        "helper_cpu_s": helper_cpu,
        "helper_util": helper_cpu / wall,
        "helper_cpu_us_per_req": helper_cpu / requests * 1e6,
        **({"slow_requests": background} if background is not None else {}),
        "rss_kb": mem["rss_kb"],
        "hwm_kb": mem["hwm_kb"],
    }


def check_tools(args: argparse.Namespace, targets: list[Target]) -> None:
    missing = [t for t in ("wrk", "taskset") if shutil.which(t) is None]
    if missing:
        raise BenchFailure(
            f"missing {', '.join(missing)}: `nox -s bench` installs wrk with "
            "apt-get when run as root (or: apt-get install wrk util-linux)"
        )
    if any(t.name == "nginx" for t in targets):
        nginx_binary()
    cpus = os.sched_getaffinity(0)
    for cpu in (args.server_cpu, args.client_cpu):
        if cpu not in cpus:
            raise BenchFailure(
                f"CPU {cpu} is not available (have {sorted(cpus)}); the benchmark "
                "needs two cores: --server-cpu / --client-cpu"
            )
    if args.server_cpu == args.client_cpu:
        raise BenchFailure("--server-cpu and --client-cpu must differ")
