"""The runner's command line: the arguments, and ``main``, which runs one mode end to end.

``benchmarks/run.py`` (and so ``nox -s bench -- ...``) calls ``main``; ``DESCRIPTION`` is
the ``--help`` text.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType
from typing import Any

from benchmarks.bench.ablation import ABLATIONS, ablation_targets, newest_ablation, render_ablation
from benchmarks.bench.base import BENCH, RAW, RESULTS, ROOT, BenchFailure, log
from benchmarks.bench.baseline import (
    baseline_targets,
    build_baseline,
    render_baseline,
    resolve,
)
from benchmarks.bench.charts import render_charts
from benchmarks.bench.database import stop_database
from benchmarks.bench.endpoints import BY_KEY
from benchmarks.bench.load import check_tools
from benchmarks.bench.prepare import prepare, snapshot_bolt
from benchmarks.bench.provenance import (
    check_profile,
    command_line,
    git_describe,
    machine_info,
    versions,
)
from benchmarks.bench.report import render_markdown
from benchmarks.bench.rounds import measure_all, preflight
from benchmarks.bench.servers import LIVE
from benchmarks.bench.soak import render_soak, rss_soak
from benchmarks.bench.targets import Env, Target, make_targets

DESCRIPTION = """\
The cross-engine benchmark runner (``nox -s bench -- [options]``; see benchmarks/README.md).

Each target is one server process pinned to one core (``taskset -c 0``), the load generator
(``wrk -t1``) is pinned to the other (``taskset -c 1``). The runner starts every target, waits
for each port to accept connections and checks that every endpoint answers the expected status
and body (anything else fails the whole run). Then, endpoint by endpoint, it warms each target
up and measures the targets in interleaved rounds (run 1 of every target, then run 2, ...; see
``rounds.measure_all``): req/s, latency percentiles, and the server's CPU time per request,
read from ``/proc`` (utime + stime of the server process, all its threads and child
processes) before and after each run. Every comparison is a ratio within one invocation.

Modes::

    run.py [--targets ...] [--endpoints ...] [--duration S] [--runs N] [--quick]
    run.py --rss-soak N [--targets ...]     RSS after warm-up against RSS after N requests
    run.py --ablation [--endpoints ...]     bolt-rust with each optimisation of ``ABLATIONS``
                                            switched off in turn (``BOLT_ABLATE``)
    run.py --micro [pytest args]            the pytest-benchmark micro-benchmarks
    run.py --profile [--targets ...]        CPU per request split by shared object (perf),
                                            see ``benchmarks/profile.py``
    run.py --baseline REV [--targets ...]   the Bolt targets from the current tree and from
                                            git revision REV, interleaved: current ÷ baseline
"""

__all__ = ["DESCRIPTION", "main", "parse_args"]


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    targets = make_targets()
    p = argparse.ArgumentParser(
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = ",".join(t.name for t in targets.values() if t.default)
    p.add_argument(
        "--targets",
        default=None,
        help=f"comma-separated, in order (default: {defaults}; also: "
        f"{','.join(t.name for t in targets.values() if not t.default)})",
    )
    p.add_argument(
        "--endpoints",
        default=None,
        help=f"comma-separated endpoint keys (default: all of {','.join(BY_KEY)}; "
        "E1..E4 with --ablation)",
    )
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    p.add_argument("--warmup", type=int, default=3, help="warm-up seconds per endpoint (3)")
    p.add_argument("--connections", type=int, default=64, help="wrk -c (default 64)")
    p.add_argument("--runs", type=int, default=3, help="runs per endpoint (default 3)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: 2 s runs, 1 run, 1 s warm-up, no preflight",
    )
    p.add_argument(
        "--label", default=None, help="results file label (default bench/quick/rss-soak/ablation)"
    )
    p.add_argument(
        "--no-preflight",
        action="store_true",
        help="skip starting and checking every target before measuring",
    )
    p.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    p.add_argument(
        "--no-write",
        action="store_true",
        help="do not write benchmarks/results/*.md (raw JSON is still written)",
    )
    p.add_argument(
        "--max-noise",
        type=float,
        default=0.10,
        help="repeat a run when other load on a benchmark core exceeds this (0.10)",
    )
    p.add_argument("--retries", type=int, default=2, help="repeats of a noisy run (2)")
    p.add_argument(
        "--quiet-timeout",
        type=float,
        default=120.0,
        help="seconds to wait for the benchmark cores to go idle before a run (120)",
    )
    p.add_argument("--server-cpu", type=int, default=0)
    p.add_argument("--client-cpu", type=int, default=1)
    p.add_argument(
        "--python312",
        default=None,
        help="Python 3.12 for django-bolt's venv and the bolt-*-py312 targets",
    )
    p.add_argument("--python313", default=None, help="Python 3.13 for the bolt-*-py313 targets")
    p.add_argument(
        "--db",
        choices=("auto", "postgresql", "sqlite"),
        default="auto",
        help="E5/E5s's database: a throw-away PostgreSQL cluster, or a sqlite file per target "
        "(default auto: PostgreSQL when its binaries are installed)",
    )
    p.add_argument(
        "--rss-soak",
        type=int,
        default=0,
        metavar="N",
        help="instead of the benchmark: RSS after warm-up vs after N requests",
    )
    p.add_argument("--soak-chunk", type=int, default=5, help="seconds per wrk call in the soak")
    p.add_argument(
        "--micro",
        action="store_true",
        help="run the pytest-benchmark micro-benchmarks (other args go to pytest)",
    )
    p.add_argument(
        "--ablation",
        action="store_true",
        help=f"instead of the benchmark: bolt-rust all on, then once per "
        f"BOLT_ABLATE name ({', '.join(ABLATIONS)}); writes "
        f"results/<date>-ablation.md",
    )
    p.add_argument(
        "--baseline",
        default=None,
        metavar="REV",
        help="the chosen Bolt targets (default bolt-rust,bolt-python; E1..E4) from the current "
        "tree and from git revision REV, interleaved; writes results/<date>-baseline.md "
        "with the ratios current/baseline",
    )
    args, rest = p.parse_known_args(argv)
    if rest and not args.micro:
        p.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.baseline is not None:
        check_baseline(p, args, targets)
    if args.ablation and (args.rss_soak or args.micro):
        p.error("--ablation cannot be combined with --rss-soak or --micro")
    if args.ablation and args.targets not in (None, "bolt-rust"):
        p.error("--ablation measures bolt-rust only (leave --targets out)")
    if args.targets is None:
        args.targets = "bolt-rust" if args.ablation else defaults
    if args.endpoints is None:
        args.endpoints = "E1,E2,E3,E4" if args.ablation else ",".join(BY_KEY)
    if args.baseline is not None and args.label is None:
        args.label = "baseline-quick" if args.quick else "baseline"
    elif args.baseline is not None and not args.label.startswith("baseline"):
        args.label = f"baseline-{args.label}"  # never the name of a main results file
    if args.quick:
        args.duration, args.runs, args.warmup, args.no_preflight = 2, 1, 1, True
    if args.label is None:
        args.label = "rss-soak" if args.rss_soak else "quick" if args.quick else "bench"
        if args.ablation:
            args.label = "ablation-quick" if args.quick else "ablation"
    elif args.ablation and not args.label.startswith("ablation"):
        args.label = f"ablation-{args.label}"  # never the name of a main results file
    unknown = [t for t in args.targets.split(",") if t not in targets]
    if unknown:
        p.error(f"unknown targets {unknown}; known: {', '.join(targets)}")
    bad = [e for e in args.endpoints.split(",") if e not in BY_KEY]
    if bad:
        p.error(f"unknown endpoints {bad}; known: {', '.join(BY_KEY)}")
    if args.duration < 1 or args.runs < 1 or args.connections < 1:
        p.error("--duration, --runs and --connections must be >= 1")
    return args, rest


def check_baseline(
    p: argparse.ArgumentParser, args: argparse.Namespace, known: dict[str, Target]
) -> None:
    """``--baseline``'s own rules and defaults; ``args.baseline_commit`` is REV's hash."""
    if args.ablation or args.rss_soak or args.micro:
        p.error("--baseline cannot be combined with --ablation, --rss-soak or --micro")
    args.targets = args.targets or "bolt-rust,bolt-python"
    args.endpoints = args.endpoints or "E1,E2,E3,E4"
    others = [t for t in args.targets.split(",") if t in known and known[t].framework != "bolt"]
    if others:
        p.error(f"--baseline compares Bolt targets only, not {', '.join(others)}")
    try:
        args.baseline_commit = resolve(args.baseline)
    except BenchFailure:
        p.error(f"--baseline: {args.baseline!r} names no commit of this repository")


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (``timeout``, a CI runner) unwinds like Ctrl-C, so the ``finally`` blocks stop
    the servers and the PostgreSQL cluster (which would outlive the runner otherwise)."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    raw = sys.argv[1:] if argv is None else argv
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    if "--profile" in raw:  # its own options: see benchmarks/profile.py
        from benchmarks import profile

        return profile.main([a for a in raw if a != "--profile"])
    args, rest = parse_args(raw)
    if args.micro:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(BENCH / "micro"),
            "--benchmark-only",
            "-p",
            "no:cacheprovider",
            *rest,
        ]
        log("$ " + shlex.join(cmd))
        return subprocess.call(cmd, cwd=ROOT)

    all_targets = make_targets()
    targets = [all_targets[t] for t in args.targets.split(",")]
    endpoints = [BY_KEY[k] for k in args.endpoints.split(",")]
    configs = ablation_targets(targets[0]) if args.ablation else []
    if configs:
        targets = [t for _, t in configs]
    if args.baseline is not None:
        targets = baseline_targets(targets, args.baseline_commit)
    if "BOLT_ABLATE" in os.environ:
        log(
            f"BOLT_ABLATE={os.environ['BOLT_ABLATE']!r} in the environment is ignored: Bolt's "
            "optimisations are switched off only by --ablation"
        )
    started = dt.datetime.now(dt.UTC)
    date = started.strftime("%Y-%m-%d")
    stem = f"{date}-{args.label}"
    logs = RAW / f"{stem}-logs"
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir(parents=True)
    data: dict[str, Any] = {
        "label": args.label,
        "date": date,
        "started": started.strftime("%Y-%m-%d %H:%M"),
        "command": command_line(),
        "argv": sys.argv,
        "args": vars(args),
        "targets": [t.name for t in targets],
        "endpoints": [e.key for e in endpoints],
        "descriptions": {t.name: t.description for t in targets},
        "notes": {t.name: list(t.notes) for t in targets},
        "skipped": {
            t.name: {e.key: reason for e in endpoints if (reason := t.skip_reason(e))}
            for t in targets
        },
        "results": {},
    }
    if configs:
        data["configs"] = [
            {"label": label, "target": t.name, "ablate": dict(t.extra_env).get("BOLT_ABLATE")}
            for label, t in configs
        ]
    try:
        check_tools(args, targets)
        data["machine"] = machine_info(args)
        with tempfile.TemporaryDirectory(prefix="bolt-bench-") as tmp:
            env = Env(args, Path(tmp))
            if any(t.framework == "bolt" for t in targets):
                env.git = git_describe()
                env.snapshot = snapshot_bolt(env.tmp)
                data["rust_profile"] = check_profile(env)
                data["git"] = env.git
            if args.baseline is not None and env.snapshot is not None:
                built = sorted((env.snapshot / "bolt_rust").glob("_bolt*.so"))
                baseline = build_baseline(
                    args.baseline,
                    args.baseline_commit,
                    os.environ.get("BOLT_RUST_PROFILE") or data["rust_profile"],
                    env.tmp / "bolt-baseline",
                    built[0].name if built else "_bolt.abi3.so",
                )
                env.baseline = baseline.packages
                data["baseline"] = {**vars(baseline), "packages": str(baseline.packages)}
            try:
                if configs:  # one interpreter, database and version line for every configuration
                    prepare(targets[:1], env)
                    for t in targets[1:]:
                        env.pythons[t.name] = env.pythons[targets[0].name]
                        env.dbs[t.name] = env.dbs[targets[0].name]
                    data["versions"] = versions(targets[:1], env)
                else:
                    prepare(targets, env)
                    data["versions"] = versions(targets, env)
                if args.rss_soak:
                    data["soak"] = rss_soak(targets, endpoints, env, logs)
                else:
                    pairs = sum(1 for t in targets for e in endpoints if t.supports(e))
                    minutes = pairs * (args.warmup + args.runs * (args.duration + 0.3)) / 60
                    log(
                        f"{len(targets)} {'configurations' if configs else 'targets'} × "
                        f"endpoints = {pairs} measurements, about {minutes:.0f} min of load"
                    )
                    if not args.no_preflight:
                        preflight(targets, endpoints, env, logs)
                    data["interleaved"] = True
                    data["results"] = measure_all(targets, endpoints, env, logs)
            finally:
                for server in list(LIVE):  # before their database
                    server.stop()
                data["database"] = env.database
                stop_database(env)
    except BaseException as exc:
        for server in list(LIVE):
            server.stop()
        if not isinstance(exc, BenchFailure):
            raise
        data["failure"] = str(exc)
        (RAW / f"{stem}.failed.json").write_text(json.dumps(data, indent=1, default=str))
        print(
            f"\n{'=' * 78}\nBENCHMARK FAILED — nothing recorded\n{'=' * 78}\n{exc}\n",
            file=sys.stderr,
            flush=True,
        )
        return 1
    data["finished"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
    # latest.md links to the newest ablation table
    if not args.rss_soak and not configs and args.baseline is None:
        ablation_file = newest_ablation()
        data["ablation_file"] = ablation_file.name if ablation_file else None
    RAW.mkdir(parents=True, exist_ok=True)
    (RAW / f"{stem}.json").write_text(json.dumps(data, indent=1, default=str))
    if args.rss_soak:
        text = render_soak(data)
        path = RESULTS / f"{stem}.md"
        if not args.no_write:
            path.write_text(text)
            log(f"wrote {path.relative_to(ROOT)}")
        print(text)
        return 0
    if configs or args.baseline is not None:  # its own file; latest.md stays the main one's
        text = render_ablation(data, stem) if configs else render_baseline(data, stem)
        if not args.no_write:
            path = RESULTS / f"{stem}.md"
            path.write_text(text)
            log(f"wrote {path.relative_to(ROOT)}")
        print(text)
        return 0
    chart_dir = None if args.no_charts else RESULTS / f"{stem}-charts"
    if chart_dir is not None and not args.no_write:
        render_charts(data, chart_dir)
    text = render_markdown(data, chart_dir, stem)
    if not args.no_write:
        path = RESULTS / f"{stem}.md"
        path.write_text(text)
        (RESULTS / "latest.md").write_text(text)
        log(
            f"wrote {path.relative_to(ROOT)} and results/latest.md"
            + (f" and {chart_dir.relative_to(ROOT)}/" if chart_dir else "")
        )
    print(text)
    return 0
