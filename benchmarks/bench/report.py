"""The main results file: the Markdown tables (req/s, CPU per request, latency, memory, goals).

Rendered from the raw JSON alone (``data``), so a results file can be re-rendered from
``results/raw/`` without measuring again.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench.endpoints import BY_KEY
from benchmarks.bench.features import feature_goals, feature_sections
from benchmarks.bench.measure import summarize

__all__ = ["GOALS", "RATIOS", "SHORT", "common_notes", "fmt_int", "header_lines", "render_markdown"]


#: The issues' targets across targets: (target, reference, label, metric, endpoints, bound);
#: ``rps`` must reach the bound, ``cpu_us`` stay under it. Rows come out in this order, per
#: endpoint: issue 4's (E1 to E4), issue 12's (the ORM on PostgreSQL), issue 16's (E9). The
#: twin ratios and the head-of-line bound follow (``features.feature_goals``).
GOALS: tuple[tuple[str, str, str, str, tuple[str, ...], float], ...] = (
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E1",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E1",), 0.90),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E2",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E2",), 0.90),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E3",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E3",), 0.90),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E4",), 1.10),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "cpu_us", ("E4",), 0.90),
    ("bolt-python", "uvicorn-raw", "python ÷ uvicorn-raw", "rps", ("E1",), 1.00),
    ("bolt-python", "fastapi", "python ÷ FastAPI", "rps", ("E1", "E2", "E3", "E4"), 3.00),
    ("bolt-rust-log", "bolt-rust", "rust-log ÷ rust", "rps", ("E1", "E2", "E3", "E4"), 0.85),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E5", "E5s"), 1.00),
    ("bolt-python", "django-bolt", "python ÷ django-bolt", "rps", ("E5", "E5s"), 1.00),
    ("bolt-rust", "django-bolt", "rust ÷ django-bolt", "rps", ("E9",), 1.00),
    # issue 15: the same ratios on django-bolt's own interpreter (like for like)
    (
        "bolt-rust-py312",
        "django-bolt",
        "rust-3.12 ÷ django-bolt",
        "rps",
        ("E1", "E2", "E3", "E4", "E8"),
        1.10,
    ),
    (
        "bolt-rust-py312",
        "django-bolt",
        "rust-3.12 ÷ django-bolt",
        "cpu_us",
        ("E1", "E2", "E3", "E4", "E8"),
        0.90,
    ),
)
RATIOS = (
    ("bolt-rust", "django-bolt"),
    ("bolt-rust-py312", "django-bolt"),
    ("bolt-python", "django-bolt"),
    ("bolt-python-py312", "django-bolt"),
    ("bolt-rust-log", "bolt-rust"),
    ("bolt-python", "uvicorn-raw"),
    ("bolt-python", "fastapi"),
)
SHORT = {
    "bolt-rust": "rust",
    "bolt-rust-log": "rust-log",
    "bolt-rust-logging": "rust-logging",
    "bolt-python": "python",
    "bolt-rust-py312": "rust-3.12",
    "bolt-python-py312": "python-3.12",
    "bolt-rust-py313": "rust-3.13",
    "bolt-python-py313": "python-3.13",
    "django-bolt": "django-bolt",
    "uvicorn-raw": "uvicorn-raw",
    "fastapi": "FastAPI",
}


def fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def header_lines(data: dict[str, Any], title: str) -> list[str]:
    """The title and the command, date, machine, Bolt commit and method of a results file."""
    args = data["args"]
    m = data["machine"]
    return [
        f"# {title} — {data['date']} ({data['label']})",
        "",
        f"- **Command**: `{data['command']}`",
        f"- **Date**: {data['started']} – {data['finished']} (UTC)",
        f"- **Machine**: {m['nproc']} CPUs (`nproc`), {m['cpu']}, {m['memory']} RAM; kernel "
        f"{m['kernel']}; {m['os']}",
        *(
            [
                f"- **Bolt**: commit {data['git']}, `bolt_rust` built with the cargo profile "
                f"`{data['rust_profile']}`; the Bolt targets ran from a copy of the packages taken "
                f"when the run began."
            ]
            if data.get("git")
            else []
        ),
        f"- **Method**: each target is one server process pinned to CPU {m['server_cpu']} "
        f"(`taskset -c {m['server_cpu']}`); `{m['wrk']}` pinned to CPU {m['client_cpu']}: "
        f"`wrk -t1 -c{args['connections']} -d{args['duration']}s --latency`, after a "
        f"{args['warmup']} s warm-up per endpoint; {args['runs']} runs per endpoint, the median "
        f"shown with [min–max]; "
        + (
            "the targets' runs interleaved (every server up throughout, one run of each target "
            "per round, the order rotated each round). "
            if data.get("interleaved")
            else ""
        )
        + "Server CPU is utime+stime of the server process, its threads "
        "and children, from `/proc/<pid>/stat` before and after each run.",
    ]


def render_markdown(data: dict[str, Any], chart_dir: Path | None, stem: str) -> str:
    args = data["args"]
    targets = [t for t in data["targets"] if t in data["results"]]
    endpoints = [BY_KEY[k] for k in data["endpoints"]]
    summ: dict[str, dict[str, dict[str, float]]] = {
        t: {k: summarize(v["runs"]) for k, v in data["results"][t]["endpoints"].items()}
        for t in targets
    }
    ratios = [(a, b) for a, b in RATIOS if a in targets and b in targets]
    skipped: dict[str, dict[str, str]] = data.get("skipped", {})
    lines = header_lines(data, "Bolt cross-engine benchmark")
    if data.get("ablation_file"):
        lines.append(
            f"- **Ablation**: the newest ablation table (bolt-rust with each "
            f"optimisation switched off in turn; its own command, date and commit at "
            f"its top): [{data['ablation_file']}]({data['ablation_file']})"
        )
    lines += ["", "## Throughput (requests/s; higher is better)", ""]

    def table(
        metric: Callable[[dict[str, float]], str], ratio_key: str | None, higher_better: bool
    ) -> list[str]:
        head = ["Endpoint", *targets]
        if ratio_key:
            head += [f"{SHORT[a]} ÷ {SHORT[b]}" for a, b in ratios]
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for ep in endpoints:
            row = [f"{ep.key} {ep.title}"]
            for t in targets:
                s = summ[t].get(ep.key)
                reason = skipped.get(t, {}).get(ep.key) or (
                    "no Django" if "skipped" not in data and ep.needs_django else None
                )
                row.append(metric(s) if s else f"n/a ({reason})" if reason else "—")
            if ratio_key:
                for a, b in ratios:
                    sa, sb = summ[a].get(ep.key), summ[b].get(ep.key)
                    row.append(f"{sa[ratio_key] / sb[ratio_key]:.2f}×" if sa and sb else "—")
            out.append("| " + " | ".join(row) + " |")
        return out

    def rps_cell(s: dict[str, float]) -> str:
        flag = " ⚠" if s["noisy"] else ""
        return f"**{fmt_int(s['rps'])}** [{fmt_int(s['rps_min'])}–{fmt_int(s['rps_max'])}]{flag}"

    lines += table(rps_cell, "rps", True)
    lines += [
        "",
        "## Server CPU time per request (µs; lower is better)",
        "",
        "CPU seconds the server spent per request served ×10⁶. Unlike req/s, this does not "
        "saturate at the load generator's limit.",
        "",
    ]
    lines += table(
        lambda s: f"**{s['cpu_us']:.1f}** [{s['cpu_min']:.1f}–{s['cpu_max']:.1f}]", "cpu_us", False
    )
    lines += ["", "## Latency p50 / p99 (ms, median of the runs)", ""]
    lines += table(lambda s: f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f}", None, False)
    lines += [
        "",
        "## What saturated: server core / wrk core utilisation (median)",
        "",
        "A server near 100 % is the bottleneck; wrk near 100 % means the load generator "
        "is (the figure is then a floor for the server).",
        "",
    ]
    lines += table(lambda s: f"{s['server_util']:.0%} / {s['client_util']:.0%}", None, False)

    lines += [
        "",
        "## Memory (MB, whole process tree)",
        "",
        "| Target | RSS after start | RSS at end | peak RSS (VmHWM) | requests served |",
        "|---|---|---|---|---|",
    ]
    for t in targets:
        r = data["results"][t]
        lines.append(
            f"| {t} | {r['mem_start']['rss_kb'] / 1024:.1f} | "
            f"{r['mem_end']['rss_kb'] / 1024:.1f} | {r['mem_end']['hwm_kb'] / 1024:.1f} "
            f"| {fmt_int(r['total_requests'])} |"
        )

    # The targets, checked on this run's ratios.
    goals: list[tuple[str, str, float | str, bool]] = []
    for a_name, b_name, label, metric, keys, bound in GOALS:
        if a_name not in targets or b_name not in targets:
            continue
        for k in keys:
            a, b = summ[a_name].get(k), summ[b_name].get(k)
            if a and b:
                ratio = a[metric] / b[metric]
                met = ratio >= bound if metric == "rps" else ratio <= bound
                sign = "≥" if metric == "rps" else "≤"
                what = "req/s" if metric == "rps" else "CPU/req"
                goals.append((f"{label} {what}, {k}", f"{sign} {bound:.2f}×", ratio, met))
    if "bolt-rust-log" in targets and "bolt-rust" in targets:
        counted = data["results"]["bolt-rust-log"].get("access_log")
        if counted and counted["served"]:
            # The rows above only mean something if the log was complete.
            share = counted["lines"] / counted["served"]
            measured = f"{share:.3f}×" + (
                f", ≥ {counted['dropped']:,} dropped" if counted["dropped"] else ""
            )
            goals.append(
                (
                    "rust-log access-log lines ÷ requests served",
                    "≥ 1.000×, none dropped",
                    measured,
                    share >= 1.0 and not counted["dropped"],
                )
            )
    goals += feature_goals(data, summ, targets)
    if goals:
        lines += [
            "",
            "## The issues' targets on this run (4: E1–E4; 12: E5, E5s, HOL; 16: E9–E11)",
            "",
            "| Ratio | Target | Measured | |",
            "|---|---|---|---|",
        ]
        for name, want, got, ok in goals:
            shown = got if isinstance(got, str) else f"{got:.2f}×"
            lines.append(f"| {name} | {want} | {shown} | {'met' if ok else '**missed**'} |")

    lines += feature_sections(data, summ, targets)
    lines += ["", "## Targets and versions", "", "| Target | What | Versions |", "|---|---|---|"]
    for t in targets:
        lines.append(f"| {t} | {data['descriptions'][t]} | {data['versions'][t]} |")

    lines += ["", "## Notes", ""]
    lines.append(
        "- E5 and E5s run only on the Django-based targets (Bolt, django-bolt): FastAPI, "
        "the raw ASGI/RSGI apps and nginx have no Django ORM"
        + (f"; they read {data['database']}." if data.get("database") else ".")
    )
    for t in targets:
        for note in data["notes"].get(t, []):
            lines.append(f"- {t}: {note}")
    if "E6" in data["endpoints"]:
        framing = {
            t: data["results"][t]["verified"]["E6"]["framing"]
            for t in targets
            if "E6" in data["results"][t]["verified"]
        }
        lines.append(
            "- E6 framing as observed: " + "; ".join(f"{t} {f}" for t, f in framing.items()) + "."
        )
        whole = [t for t, f in framing.items() if not f.startswith("chunked") and t != "nginx"]
        if whole:
            lines.append(
                f"- E6 is **not streamed** by {', '.join(whole)}: the 64 KB arrive as "
                "one body with a content-length (no streaming response in that "
                "tree), so E6 is not like-for-like for them."
            )
    noisy = [f"{t} {k}" for t in targets for k, s in summ[t].items() if s["noisy"]]
    lines += common_notes(args, noisy)
    if chart_dir is not None:
        lines += ["", "## Charts", ""]
        for ep in endpoints:
            lines.append(f"![{ep.key}]({chart_dir.name}/{ep.key}-{ep.name}.png)")
    lines += ["", f"Raw data: `benchmarks/results/raw/{stem}.json` (not committed).", ""]
    return "\n".join(lines)


def common_notes(args: dict[str, Any], noisy: list[str]) -> list[str]:
    """The notes on noise handling and checking every results file ends with."""
    return [
        f"- Other load on the two benchmark cores (CPU time of processes other than "
        f"the server and wrk; irq/softirq left out) is measured per run; the runner "
        f"waits for both cores to be idle before each run; a run where other load "
        f"took more than {args['max_noise']:.0%} of the server's core, or of wrk's "
        f"core while the server was below 90 % busy (or neither kept its core 80 % "
        f"busy), is repeated up to {args['retries']} times, and the result is "
        f"marked ⚠ if a run stayed noisy: " + (", ".join(noisy) if noisy else "none") + ".",
        "- Every target answered every endpoint with the expected status and body "
        "before and after its runs, and wrk saw no unexpected status in any run.",
    ]
