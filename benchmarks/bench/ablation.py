"""The ablation mode (``--ablation``): what each of Bolt's optimisations is worth.

bolt-rust is measured with everything on, then once per name in ``ABLATIONS`` with that one
optimisation off (a new server each), in the same interleaved rounds as the main mode;
the table is CPU per request relative to "all on".
"""

# ruff: noqa: RUF001  (the Markdown tables use en dashes and multiplication signs)

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmarks.bench.base import RESULTS
from benchmarks.bench.endpoints import BY_KEY
from benchmarks.bench.measure import summarize
from benchmarks.bench.report import common_notes, fmt_int, header_lines
from benchmarks.bench.targets import Target

__all__ = [
    "ABLATIONS",
    "ABLATION_TITLE",
    "ABLATION_WHAT",
    "PYTHON_ABLATIONS",
    "ablation_args",
    "ablation_targets",
    "newest_ablation",
    "render_ablation",
]


#: Bolt's optimisations the ablation mode switches off one at a time: the Rust engine's through
#: ``BOLT_ABLATE=<name>``, bolt-api's through ``runbolt --ablate <name>`` (see ``ablation_args``).
ABLATIONS: tuple[str, ...] = (
    "zero_copy",
    "lazy_parts",
    "pin_thread",
    "trivial_async",
    "compiled_encoders",
    "rust_params",
)
#: What each name switches off (for the ablation results file; a name missing here is shown
#: without an explanation).
ABLATION_WHAT: dict[str, str] = {
    "zero_copy": "response bodies are copied instead of handed to the Rust engine zero-copy",
    "lazy_parts": "every request part (headers, query, path parameters) is materialised for "
    "every route, whatever the route reads",
    "pin_thread": "a Python thread state is created and destroyed per request instead of "
    "pinned once per Rust engine worker thread",
    "trivial_async": "`async def` handlers and streamed async generators that never await "
    "go through the asyncio event loop instead of being driven inline",
    "compiled_encoders": "responses are encoded through an `isinstance` ladder per request "
    "instead of per-route compiled encoders",
    "rust_params": "typed path and query parameters are converted in Python instead of in "
    "Rust before the GIL is taken",
}


#: The first line of an ablation results file starts with this (``newest_ablation``).
ABLATION_TITLE = "# Bolt ablation"


#: The ablations bolt-api performs (``runbolt --ablate NAME``, read by ``BoltAPI.compile``);
#: the others are the Rust engine's (``BOLT_ABLATE``, read only by a build with the cargo
#: feature ``ablation``, which ``nox -s bench`` makes).
PYTHON_ABLATIONS = frozenset({"trivial_async", "compiled_encoders", "rust_params"})


def ablation_args(target: Target) -> tuple[str, ...]:
    """The runbolt flags that switch ``target.ablate`` off when bolt-api performs it."""
    if target.ablate in PYTHON_ABLATIONS:
        return ("--ablate", target.ablate)
    return ()


def ablation_targets(base: Target) -> list[tuple[str, Target]]:
    """``("all on", base)``, then per name of ``ABLATIONS`` base with ``BOLT_ABLATE=<name>``."""
    out = [("all on", base)]
    for name in ABLATIONS:
        out.append(
            (
                f"{name} off",
                replace(
                    base,
                    name=f"{base.name}-ablate-{name}",
                    default=False,
                    description=f"{base.description}, BOLT_ABLATE={name}",
                    extra_env=(*base.extra_env, ("BOLT_ABLATE", name)),
                    ablate=name,
                ),
            )
        )
    return out


def render_ablation(data: dict[str, Any], stem: str) -> str:
    args = data["args"]
    endpoints = [BY_KEY[k] for k in data["endpoints"]]
    configs = data["configs"]
    summ = {
        c["target"]: {
            k: summarize(v["runs"]) for k, v in data["results"][c["target"]]["endpoints"].items()
        }
        for c in configs
    }
    base = configs[0]
    lines = header_lines(data, ABLATION_TITLE.removeprefix("# ") + " (bolt-rust)")
    lines += [
        f"- **Configurations**: {base['target']}, started once per row (a new server process "
        f'each) with `BOLT_ABLATE` naming the one optimisation switched off (unset for "all '
        f'on"), measured in the order of the rows.',
        "",
        "## Each optimisation switched off in turn",
        "",
        "Per endpoint: req/s (median of the runs), server CPU µs per request (median) and that "
        'CPU per request ÷ "all on"\'s: 1.12× means the request costs 12 % more CPU with the '
        "optimisation off, i.e. what the optimisation saves. req/s can saturate at the load "
        "generator's limit (see the main results); CPU per request does not.",
        "",
    ]
    head = ["Configuration"]
    for ep in endpoints:
        head += [f"{ep.key} req/s", f"{ep.key} CPU µs/req", f"{ep.key} CPU ÷ all on"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for c in configs:
        row = [c["label"] if c["ablate"] is None else f"`{c['ablate']}` off"]
        for ep in endpoints:
            s, b = summ[c["target"]].get(ep.key), summ[base["target"]].get(ep.key)
            if s is None or b is None:
                row += ["—", "—", "—"]
                continue
            row += [
                fmt_int(s["rps"]) + (" ⚠" if s["noisy"] else ""),
                f"{s['cpu_us']:.1f}",
                "—" if c is base else f"{s['cpu_us'] / b['cpu_us']:.2f}×",
            ]
        lines.append("| " + " | ".join(row) + " |")
    spreads = [
        (s["cpu_max"] - s["cpu_min"]) / s["cpu_us"] for per in summ.values() for s in per.values()
    ]
    spread_note = (
        f"- The CPU/request of one cell varies by up to {max(spreads, default=0):.0%} between "
        f"its runs (max − min over the median, worst cell): ratios closer to 1.00× than that "
        f"are not a measured difference."
        if args["runs"] > 1
        else "- One run per configuration: the spread between runs was not measured, so small "
        "ratios (a few %) may be noise."
    )
    lines += [
        "",
        "Endpoints: " + "; ".join(f"{ep.key} {ep.title}" for ep in endpoints) + ".",
        "",
        "## What each name switches off",
        "",
    ]
    for c in configs[1:]:
        what = ABLATION_WHAT.get(c["ablate"], "(no description in ABLATION_WHAT)")
        lines.append(f"- `{c['ablate']}`: {what}.")
    lines += ["", "## Versions", ""]
    for t, v in data["versions"].items():
        lines.append(f"- {t}: {v}")
    lines += [
        "",
        "## Notes",
        "",
        spread_note,
        "- A name the installed Bolt does not know is ignored (no error): its row then "
        'measures "all on" again and shows about 1.00×.',
        *common_notes(
            args,
            [
                f"{c['label']} {k}"
                for c in configs
                for k, s in summ[c["target"]].items()
                if s["noisy"]
            ],
        ),
        "",
        f"Raw data: `benchmarks/results/raw/{stem}.json` (not committed).",
        "",
    ]
    return "\n".join(lines)


def newest_ablation() -> Path | None:
    """The most recent ``--ablation`` results file in results/, if any."""
    found = []
    for path in RESULTS.glob("*.md"):
        try:
            with open(path, encoding="utf-8") as f:
                first = f.readline()
        except OSError:
            continue
        if first.startswith(ABLATION_TITLE):
            found.append(path)
    return max(found, key=lambda p: (p.stat().st_mtime, p.name), default=None)
