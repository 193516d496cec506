"""The PNG charts of the main results: per endpoint, req/s and CPU per request per target.

matplotlib is imported only here and only when charts are drawn (``--no-charts`` needs none).
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.bench.endpoints import BY_KEY
from benchmarks.bench.measure import summarize

__all__ = ["render_charts"]


def render_charts(data: dict[str, Any], chart_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chart_dir.mkdir(parents=True, exist_ok=True)
    targets = [t for t in data["targets"] if t in data["results"]]
    colors = {
        "bolt-rust": "#d94801",
        "bolt-rust-log": "#a63603",
        "bolt-rust-logging": "#7f2704",
        "bolt-python": "#fd8d3c",
        "django-bolt": "#2171b5",
        "django-bolt-log": "#9ecae1",
        "fastapi": "#6baed6",
        "uvicorn-raw": "#41ab5d",
        "granian-rsgi": "#238b45",
        "nginx": "#969696",
    }
    for key in data["endpoints"]:
        ep = BY_KEY[key]
        names, summaries = [], []
        for t in targets:
            ep_data = data["results"][t]["endpoints"].get(key)
            if ep_data:
                names.append(t)
                summaries.append(summarize(ep_data["runs"]))
        if not names:
            continue
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2))
        xs = range(len(names))
        rps = [s["rps"] for s in summaries]
        err = [
            [s["rps"] - s["rps_min"] for s in summaries],
            [s["rps_max"] - s["rps"] for s in summaries],
        ]
        ax1.bar(xs, rps, yerr=err, capsize=4, color=[colors.get(n, "#888") for n in names])
        ax1.set_title("requests/s (median, min–max)")
        for x, v in zip(xs, rps, strict=True):
            ax1.text(x, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
        cpu = [s["cpu_us"] for s in summaries]
        cerr = [
            [s["cpu_us"] - s["cpu_min"] for s in summaries],
            [s["cpu_max"] - s["cpu_us"] for s in summaries],
        ]
        ax2.bar(xs, cpu, yerr=cerr, capsize=4, color=[colors.get(n, "#888") for n in names])
        ax2.set_title("server CPU µs per request (lower is better)")
        for x, v in zip(xs, cpu, strict=True):
            ax2.text(x, v, f"{v:.1f}", ha="center", va="bottom", fontsize=8)
        for ax in (ax1, ax2):
            ax.set_xticks(list(xs))
            ax.set_xticklabels(names, rotation=25, ha="right", fontsize=8)
            ax.grid(axis="y", alpha=0.3)
        fig.suptitle(
            f"{ep.key} {ep.title} — {data['date']}, {data['machine']['cpu']}, "
            f"wrk -c{data['args']['connections']} -d{data['args']['duration']}s",
            fontsize=9,
        )
        fig.tight_layout()
        fig.savefig(chart_dir / f"{ep.key}-{ep.name}.png", dpi=100)
        plt.close(fig)
