"""What one run measures on the server, read from ``/proc``, and the median of a target's runs.

CPU per request comes from the server process tree's utime + stime before and after a run
(every thread and child process counted), RSS from ``VmRSS``/``VmHWM``, other load on the
benchmark cores from ``/proc/stat``; ``summarize`` reduces a target's runs to the medians
(req/s, CPU per request, p50/p99) the tables show.
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path
from typing import Any

__all__ = ["CLK_TCK", "core_busy_seconds", "cpu_seconds", "memory_kb", "process_tree", "summarize"]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of each process (all its threads), summed."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2 :].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks / CLK_TCK


def memory_kb(pids: list[int]) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in kB, summed over the processes."""
    total = {"rss_kb": 0, "hwm_kb": 0}
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmRSS:"):
                total["rss_kb"] += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                total["hwm_kb"] += int(line.split()[1])
    return total


def core_busy_seconds(cpus: tuple[int, ...]) -> dict[int, float]:
    """Time each CPU spent running tasks (user, nice, system, steal) from /proc/stat.

    irq and softirq time is left out: on loopback it is mostly the benchmark's own packets,
    which no process is charged for.
    """
    busy: dict[int, float] = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *vals = line.split()
            cpu = int(name[3:])
            if cpu in cpus:
                v = [int(x) for x in vals]
                busy[cpu] = (v[0] + v[1] + v[2] + v[7]) / CLK_TCK
    return busy


def summarize(runs: list[dict[str, Any]]) -> dict[str, float]:
    rps = [r["rps"] for r in runs]
    return {
        "rps": statistics.median(rps),
        "rps_min": min(rps),
        "rps_max": max(rps),
        "cpu_us": statistics.median(r["cpu_us_per_req"] for r in runs),
        "cpu_min": min(r["cpu_us_per_req"] for r in runs),
        "cpu_max": max(r["cpu_us_per_req"] for r in runs),
        "p50_ms": statistics.median(r["latency_us"]["p50"] for r in runs) / 1000,
        "p99_ms": statistics.median(r["latency_us"]["p99"] for r in runs) / 1000,
        "server_util": statistics.median(r["server_util"] for r in runs),
        "client_util": statistics.median(r["client_util"] for r in runs),
        "other": max(max(r["other_server_core"], r["other_client_core"]) for r in runs),
        "noisy": any(r.get("noisy") for r in runs),
    }
