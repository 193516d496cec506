"""The feature benchmarks' part of the main results file: twins, head-of-line, the database.

Issue 16 asks that E10 (CORS) and E11 (rate limiting) stay "within 10 % of the same route
without them": each is divided by its twin (``Endpoint.twin``) *on the same target in the
same run*, so the ratio carries no machine-to-machine or run-to-run noise. Issue 12 asks for
the fast endpoint's p99 while slow requests are in flight (HOL, shown beside E1's p99 when
E1 ran too) and for the ORM endpoints on PostgreSQL (whose own CPU per request is shown,
since it is not in the server's). Rendered from the raw JSON alone, like ``report``.
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.apps import common
from benchmarks.bench.endpoints import BY_KEY

__all__ = ["HOL_P99_MS", "TWIN_BOUND", "TWIN_TARGETS", "feature_goals", "feature_sections"]

Summaries = dict[str, dict[str, dict[str, float]]]
Goal = tuple[str, str, float | str, bool]

#: Issue 16: a route with its CORS or rate limit keeps at least 0.90 of its twin's req/s.
TWIN_BOUND = 0.90
#: The targets whose twin ratios are issue 16's targets (the others are shown, not judged).
TWIN_TARGETS = ("bolt-rust", "bolt-python")
#: Issue 12's functional bound on the fast endpoint's p99 with slow requests in flight.
HOL_P99_MS = 100.0


def _twins(endpoints: list[str]) -> list[tuple[str, str]]:
    return [
        (k, twin) for k in endpoints if (twin := BY_KEY[k].twin) is not None and twin in endpoints
    ]


def feature_goals(data: dict[str, Any], summ: Summaries, targets: list[str]) -> list[Goal]:
    """Issue 16's twin ratios and issue 12's head-of-line bound, on this run."""
    goals: list[Goal] = []
    for key, twin in _twins(data["endpoints"]):
        for t in TWIN_TARGETS:
            a, b = summ.get(t, {}).get(key), summ.get(t, {}).get(twin)
            if t in targets and a and b:
                ratio = a["rps"] / b["rps"]
                goals.append(
                    (
                        f"{t} {key} ÷ {twin} req/s",
                        f"≥ {TWIN_BOUND:.2f}×",
                        ratio,
                        ratio >= TWIN_BOUND,
                    )
                )
    for t in TWIN_TARGETS:
        s = summ.get(t, {}).get("HOL")
        if t in targets and s:
            goals.append(
                (
                    f"{t} HOL p99 (GET / with slow requests in flight)",
                    f"< {HOL_P99_MS:.0f} ms",
                    f"{s['p99_ms']:.2f} ms",
                    s["p99_ms"] < HOL_P99_MS,
                )
            )
    return goals


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r.get(key, 0.0)) for r in runs)


def feature_sections(data: dict[str, Any], summ: Summaries, targets: list[str]) -> list[str]:
    """The Markdown sections for the feature endpoints this run measured (maybe none)."""
    lines: list[str] = []
    twins = _twins(data["endpoints"])
    if twins:
        lines += [
            "",
            "## Cost of a feature: the route ÷ its twin without it (same target, same run)",
            "",
            "req/s ÷ the twin's (higher is better; 1.00× costs nothing) and CPU per request ÷ "
            "the twin's (lower is better). Each pair sends the same request to the same "
            "handler; only the decorator differs.",
            "",
            "| Ratio | " + " | ".join(targets) + " |",
            "|---|" + "---|" * len(targets),
        ]
        for key, twin in twins:
            for metric, what in (("rps", "req/s"), ("cpu_us", "CPU/req")):
                row = [f"{key} ÷ {twin} {what}"]
                for t in targets:
                    a, b = summ[t].get(key), summ[t].get(twin)
                    row.append(f"{a[metric] / b[metric]:.2f}×" if a and b else "—")
                lines.append("| " + " | ".join(row) + " |")
    hol = [t for t in targets if "HOL" in summ[t]]
    if hol:
        lines += [
            "",
            f"## Head-of-line: GET / while {common.SLOW_IN_FLIGHT} requests to a "
            f"{common.SLOW_SECONDS:g} s `def` handler are in flight",
            "",
            "wrk on the fast endpoint, as E1, while a client pinned to wrk's core keeps "
            f"{common.SLOW_IN_FLIGHT} `GET /slow` in flight (each answered one is sent again). "
            "A p99 near E1's: slow handlers do not hold up the fast one; near a second: they "
            "do.",
            "",
            "| Target | HOL p50 / p99 (ms) | E1 p50 / p99 (ms) | HOL req/s ÷ E1 | "
            "slow requests answered per run (and its drain) |",
            "|---|---|---|---|---|",
        ]
        for t in hol:
            s, e1 = summ[t]["HOL"], summ[t].get("E1")
            runs = data["results"][t]["endpoints"]["HOL"]["runs"]
            slow = statistics.median(r["slow_requests"]["completed"] for r in runs)
            e1_p, e1_ratio = (
                (f"{e1['p50_ms']:.2f} / {e1['p99_ms']:.2f}", f"{s['rps'] / e1['rps']:.2f}×")
                if e1
                else ("—", "—")
            )
            lines.append(
                f"| {t} | {s['p50_ms']:.2f} / {s['p99_ms']:.2f} | {e1_p} | {e1_ratio} "
                f"| {slow:.0f} |"
            )
    orm = [k for k in ("E5", "E5s") if k in data["endpoints"]]
    db_targets = [t for t in targets if any(k in summ[t] for k in orm)]
    if db_targets and data.get("database", "").startswith("PostgreSQL"):  # sqlite: in-process
        lines += [
            "",
            "## The ORM endpoints' database",
            "",
            f"E5 and E5s read {data['database']}. Its CPU per request (all its processes, "
            "not in the server's CPU above), median of the runs, µs:",
            "",
            "| Endpoint | " + " | ".join(db_targets) + " |",
            "|---|" + "---|" * len(db_targets),
        ]
        for key in orm:
            row = [key]
            for t in db_targets:
                ep_data = data["results"][t]["endpoints"].get(key)
                row.append(
                    f"{_median(ep_data['runs'], 'helper_cpu_us_per_req'):.1f}" if ep_data else "—"
                )
            lines.append("| " + " | ".join(row) + " |")
    return lines
