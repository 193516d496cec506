"""Where a target's CPU time per request goes, by shared object (``run.py --profile``).

The issue asks, for every target it misses, for "the profile that shows why". This mode
starts each target exactly as the benchmark does (one server process pinned to one core,
``wrk -t1`` on the other), and while wrk runs it samples the server's threads with
``perf record``. The CPU time per request (measured from ``/proc`` as in the benchmark) is
then split by the shared object the samples fell in:

* **kernel** — loopback TCP: ``recvfrom``/``sendto``, the softirq that delivers each response
  to wrk's socket and wakes it, ``epoll``;
* **interpreter** — CPython running the handler and the framework's Python code;
* **msgspec** — JSON decoding, validation and encoding;
* **server** — the engine's native code: Bolt's ``_bolt`` (hyper + PyO3), django-bolt's
  ``_core`` (Actix + PyO3), or uvloop + httptools for the Python engine;
* **libc** — ``memcpy``, ``malloc``, the GIL's mutex; **other** — the rest.

Run it through nox so bolt_rust is the release build the benchmark measures::

    nox -s bench -- --profile --targets bolt-rust,django-bolt --endpoints E3,E4

It writes ``results/<date>-profile.md``. Needs ``perf`` (Debian: ``linux-perf``).
"""

# ruff: noqa: RUF001  (the Markdown tables use multiplication signs)

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.bench.base import RAW, RESULTS, ROOT, BenchFailure, log
from benchmarks.bench.database import stop_database
from benchmarks.bench.endpoints import BY_KEY, Endpoint
from benchmarks.bench.load import check_tools, run_wrk, wait_for_quiet
from benchmarks.bench.measure import process_tree
from benchmarks.bench.prepare import prepare
from benchmarks.bench.provenance import command_line
from benchmarks.bench.servers import LIVE, start_server, verify
from benchmarks.bench.targets import Env, Target, make_targets

__all__ = ["GROUPS", "classify", "main"]

#: The columns of the table, in order.
GROUPS = ("kernel", "interpreter", "msgspec", "server", "libc", "other")


def classify(dso: str) -> str:
    """The group of one ``perf report --sort dso`` name."""
    if dso.startswith("[kernel") or dso == "[vdso]":
        return "kernel"
    if dso.startswith("libpython"):
        return "interpreter"
    if dso.startswith("_core.cpython-"):  # msgspec's extension module
        return "msgspec"
    if dso.startswith(
        ("_bolt.", "_core.abi3", "loop.cpython-", "parser.cpython-", "url_parser.cpython-")
    ):
        return "server"
    if dso.startswith(("libc.so", "ld-linux", "libm.so")):
        return "libc"
    return "other"


def dso_shares(perf_data: Path) -> dict[str, float]:
    """Share of the samples (0..1) per group, from ``perf report``."""
    out = subprocess.run(
        [
            "perf",
            "report",
            "-i",
            str(perf_data),
            "--sort",
            "dso",
            "-q",
            "-g",
            "none",
            "--percent-limit",
            "0",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise BenchFailure(f"perf report failed:\n{out.stderr}")
    shares = dict.fromkeys(GROUPS, 0.0)
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith("%"):
            shares[classify(parts[1])] += float(parts[0].rstrip("%")) / 100
    total = sum(shares.values())
    if total <= 0:
        raise BenchFailure(f"perf recorded no sample in {perf_data}")
    return {group: share / total for group, share in shares.items()}


def profile_target(
    target: Target, endpoints: list[Endpoint], env: Env, logs: Path, tmp: Path
) -> dict[str, Any]:
    """Warm each endpoint up, then one wrk run with ``perf record`` attached."""
    args = env.args
    server = start_server(target, env, logs / f"{target.name}.log")
    results: dict[str, Any] = {}
    try:
        verify(server, endpoints)
        for ep in endpoints:
            if args.warmup > 0:
                run_wrk(server, ep, args.warmup, args)
            wait_for_quiet(args)
            data = tmp / f"{target.name}-{ep.key}.perf.data"
            pids = ",".join(map(str, process_tree(server.pid)))
            # sampled while wrk runs: it starts first, perf stops a second before wrk does
            perf_cmd = [
                "perf",
                "record",
                "-q",
                "-F",
                str(args.frequency),
                "-p",
                pids,
                "-o",
                str(data),
                "--",
                "sleep",
                str(max(1, args.duration - 1)),
            ]
            perf = subprocess.Popen(perf_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            measured = run_wrk(server, ep, args.duration, args)
            _, err = perf.communicate(timeout=60)
            if perf.returncode != 0:
                raise BenchFailure(
                    f"perf record failed ({perf.returncode}):\n{err.decode(errors='replace')}"
                )
            shares = dso_shares(data)
            cpu = measured["cpu_us_per_req"]
            results[ep.key] = {
                "rps": measured["rps"],
                "cpu_us_per_req": cpu,
                "shares": shares,
                "us": {g: share * cpu for g, share in shares.items()},
            }
            log(
                f"  {target.name} {ep.key}: {cpu:.1f} µs/req — "
                + ", ".join(f"{g} {results[ep.key]['us'][g]:.1f}" for g in GROUPS)
            )
    finally:
        server.stop()
    return results


def render(data: dict[str, Any]) -> str:
    targets: list[str] = data["targets"]
    base = targets[0]
    lines = [
        f"# Where the CPU time per request goes — {data['date']}",
        "",
        f"- **Command**: `{data['command']}`",
        f"- **Date**: {data['started']} (UTC)",
        "- **Method**: each target as in the benchmark (one server process on CPU "
        f"{data['args']['server_cpu']}, `wrk -t1 -c{data['args']['connections']}` on CPU "
        f"{data['args']['client_cpu']}); during one {data['args']['duration']} s wrk run "
        f"after a {data['args']['warmup']} s warm-up, `perf record -F "
        f"{data['args']['frequency']}` samples every thread of the server; the CPU time per "
        "request (utime + stime from `/proc`) is split by the shared object the samples "
        "fell in (`perf report --sort dso`). See `benchmarks/profile.py` for the groups.",
        "",
        "CPU µs per request (lower is better); the share of each group in brackets.",
        "",
        "| Endpoint | Target | req/s | CPU µs/req | " + " | ".join(GROUPS) + " |",
        "|---|---|---|---|" + "---|" * len(GROUPS),
    ]
    for key in data["endpoints"]:
        for name in targets:
            r = data["results"].get(name, {}).get(key)
            if r is None:
                continue
            ratio = ""
            b = data["results"].get(base, {}).get(key)
            if name != base and b:
                ratio = f" ({base} ÷ this: {b['cpu_us_per_req'] / r['cpu_us_per_req']:.2f}×)"
            cells = [f"{r['us'][g]:.1f} [{r['shares'][g]:.0%}]" for g in GROUPS]
            lines.append(
                f"| {key} | {name} | {r['rps']:,.0f} | "
                f"**{r['cpu_us_per_req']:.1f}**{ratio} | " + " | ".join(cells) + " |"
            )
    lines += [
        "",
        f"The ratio in the CPU column is {base}'s CPU per request divided by that "
        f"target's (below 1: {base} spends less). `perf` itself costs a few per cent: "
        "compare rows of one file, not with the benchmark's tables.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="run.py --profile",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--targets", default="bolt-rust,django-bolt")
    p.add_argument("--endpoints", default="E1,E2,E3,E4")
    p.add_argument("--duration", type=int, default=6)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--frequency", type=int, default=1999, help="perf samples per second")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument("--quiet-timeout", type=float, default=60.0)
    p.add_argument("--max-noise", type=float, default=0.10)
    p.add_argument("--python312", default=None)
    p.add_argument("--db", choices=("auto", "postgresql", "sqlite"), default="auto")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    if shutil.which("perf") is None:
        raise SystemExit("perf is not installed (Debian: apt-get install linux-perf)")
    known = make_targets()
    targets = [known[t] for t in args.targets.split(",")]
    endpoints = [BY_KEY[k] for k in args.endpoints.split(",")]
    check_tools(args, targets)
    started = dt.datetime.now(dt.UTC)
    stem = f"{started:%Y-%m-%d}-profile"
    logs = RAW / f"{stem}-logs"
    logs.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "date": f"{started:%Y-%m-%d}",
        "started": f"{started:%Y-%m-%d %H:%M}",
        "command": command_line(),
        "args": vars(args),
        "targets": [t.name for t in targets],
        "endpoints": [e.key for e in endpoints],
        "results": {},
    }
    try:
        with tempfile.TemporaryDirectory(prefix="bolt-profile-") as tmp:
            env = Env(args, Path(tmp))
            try:
                prepare(targets, env)
                for target in targets:
                    eps = [e for e in endpoints if target.supports(e)]
                    data["results"][target.name] = profile_target(target, eps, env, logs, Path(tmp))
            finally:
                for server in list(LIVE):
                    server.stop()
                stop_database(env)
    except BenchFailure as exc:
        for server in list(LIVE):
            server.stop()
        print(f"PROFILE FAILED — nothing recorded\n{exc}")
        return 1
    RAW.mkdir(parents=True, exist_ok=True)
    (RAW / f"{stem}.json").write_text(json.dumps(data, indent=1))
    text = render(data)
    if not args.no_write:
        path = RESULTS / f"{stem}.md"
        path.write_text(text)
        log(f"wrote {path.relative_to(ROOT)}")
    print(text)
    return 0
