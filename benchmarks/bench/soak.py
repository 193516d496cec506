"""The RSS soak (``--rss-soak N``): RSS after a warm-up against RSS after N more requests.

A leak shows up as growth that a few seconds of load cannot reveal.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.bench.base import log
from benchmarks.bench.endpoints import Endpoint
from benchmarks.bench.load import run_wrk
from benchmarks.bench.measure import memory_kb, process_tree
from benchmarks.bench.servers import start_server, verify
from benchmarks.bench.targets import Env, Target

__all__ = ["render_soak", "rss_soak"]


def rss_soak(
    targets: list[Target], endpoints: list[Endpoint], env: Env, logs: Path
) -> dict[str, Any]:
    """Per target: RSS after a warm-up against RSS after ``N`` more requests."""
    args = env.args
    out: dict[str, Any] = {}
    for target in targets:
        eps = [e for e in endpoints if target.supports(e)]
        server = start_server(target, env, logs / f"{target.name}.log")
        try:
            verify(server, eps)
            wrk_log = logs / f"{target.name}.soak.log"
            for ep in eps:
                run_wrk(server, ep, max(1, args.warmup), args, wrk_log)
            warm = memory_kb(process_tree(server.pid))
            log(
                f"{target.name}: RSS after warm-up {warm['rss_kb'] / 1024:.1f} MB; sending "
                f"{args.rss_soak:,} requests over {', '.join(e.key for e in eps)}"
            )
            sent, trace = 0, [warm["rss_kb"]]
            while sent < args.rss_soak:
                for ep in eps:
                    run = run_wrk(server, ep, args.soak_chunk, args, wrk_log)
                    sent += run["requests"]
                trace.append(memory_kb(process_tree(server.pid))["rss_kb"])
            verify(server, eps)
            end = memory_kb(process_tree(server.pid))
            growth = (end["rss_kb"] - warm["rss_kb"]) / warm["rss_kb"]
            log(
                f"{target.name}: RSS {warm['rss_kb'] / 1024:.1f} → {end['rss_kb'] / 1024:.1f} MB "
                f"after {sent:,} requests ({growth:+.1%}), peak {end['hwm_kb'] / 1024:.1f} MB"
            )
            out[target.name] = {
                "warm": warm,
                "end": end,
                "requests": sent,
                "growth": growth,
                "trace_kb": trace,
                "endpoints": [e.key for e in eps],
            }
        finally:
            server.stop()
    return out


def render_soak(data: dict[str, Any]) -> str:
    m = data["machine"]
    lines = [
        f"# Bolt RSS soak — {data['date']} ({data['label']})",
        "",
        f"- **Command**: `{data['command']}`",
        f"- **Date**: {data['started']} – {data['finished']} (UTC)",
        f"- **Machine**: {m['nproc']} CPUs, {m['cpu']}, kernel {m['kernel']}",
        f"- **Method**: one server process per target (CPU {m['server_cpu']}), a "
        f"{data['args']['warmup']} s wrk warm-up on each endpoint, RSS read; then wrk rounds of "
        f"{data['args']['soak_chunk']} s per endpoint until at least "
        f"{data['args']['rss_soak']:,} requests; RSS read again (VmRSS of the process tree).",
        "",
        "| Target | Endpoints | Requests | RSS after warm-up (MB) | RSS after (MB) | Growth | "
        "Peak RSS (MB) | RSS per round (MB) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t, r in data["soak"].items():
        trace = " ".join(f"{kb / 1024:.1f}" for kb in r["trace_kb"])
        lines.append(
            f"| {t} | {' '.join(r['endpoints'])} | {r['requests']:,} | "
            f"{r['warm']['rss_kb'] / 1024:.1f} | {r['end']['rss_kb'] / 1024:.1f} | "
            f"{r['growth']:+.1%} | {r['end']['hwm_kb'] / 1024:.1f} | {trace} |"
        )
    lines += ["", "## Versions", ""]
    for t, v in data["versions"].items():
        lines.append(f"- {t}: {v}")
    return "\n".join(lines) + "\n"
