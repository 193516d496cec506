"""The ``--baseline REV`` mode: the current tree against a git revision, in one session.

A change is judged by a ratio measured in one sitting, not by two results files written an
hour apart on a shared VM. Each chosen Bolt target runs twice: from the current tree (the
snapshot every Bolt target runs from) and from ``REV`` (``<target>@baseline``); the two are
measured in the same interleaved rounds as every other mode (``rounds.measure_all``: a run of
each per round, the order rotated each round), so a slow patch of the machine lands on both
sides of the ratio. The table gives, per endpoint, current ÷ baseline of req/s and of CPU per
request (medians of the runs).

How the baseline is built, the simplest way that cannot disturb the checkout:

* ``git archive REV packages/`` is unpacked into ``target/bench-baseline/<commit>/`` (no
  worktree to register or clean up; the files keep the commit's time, so a second run on the
  same commit rebuilds nothing);
* its Rust engine is built with ``cargo build --lib`` (the profile the current build has, the
  features ``nox -s bench`` uses when ``REV`` declares them) in a target directory of its own,
  ``target/bench-baseline/cargo/``, so the current build is never overwritten;
* its four Python packages and that extension are copied into the run's temporary directory
  and put first on the baseline targets' ``PYTHONPATH``, exactly as the current tree's
  snapshot is for the current targets: the same interpreter, the same virtualenv and the same
  third-party packages (Django, msgspec, ...) serve both sides, so only Bolt's code differs.
  A revision that needs another third-party package than the venv has fails the preflight.
"""

# ruff: noqa: RUF001  (the Markdown tables use multiplication signs)

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks.bench.base import ROOT, BenchFailure, log
from benchmarks.bench.endpoints import BY_KEY
from benchmarks.bench.measure import summarize
from benchmarks.bench.report import common_notes, fmt_int, header_lines
from benchmarks.bench.targets import Target

__all__ = [
    "BASELINE_DIR",
    "PACKAGE_SOURCES",
    "Baseline",
    "baseline_targets",
    "build_baseline",
    "render_baseline",
    "resolve",
]

#: Where revisions are unpacked and built (under the git-ignored ``target/``).
BASELINE_DIR = ROOT / "target" / "bench-baseline"
#: Where each of Bolt's four Python packages lives in a revision's tree.
PACKAGE_SOURCES = {
    "bolt_api": "packages/bolt-api/src/bolt_api",
    "bolt_py": "packages/bolt-py/src/bolt_py",
    "bolt_django": "packages/bolt-django/src/bolt_django",
    "bolt_rust": "packages/bolt-rust/python/bolt_rust",
}
#: The suffix of a baseline target's name.
SUFFIX = "@baseline"


@dataclass(frozen=True)
class Baseline:
    """A revision ready to serve: its packages, copied where its targets import them from."""

    rev: str  # as given on the command line
    commit: str  # the full hash
    subject: str
    profile: str
    features: str
    packages: Path


def _git(*args: str) -> str:
    result = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchFailure(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def _unpack(commit: str) -> Path:
    """``REV``'s ``packages/`` under ``BASELINE_DIR/<commit>`` (unpacked once per commit)."""
    tree = BASELINE_DIR / commit[:12]
    done = tree / ".unpacked"
    if done.exists():
        return tree
    if tree.exists():
        shutil.rmtree(tree)
    tree.mkdir(parents=True)
    archive = BASELINE_DIR / f"{commit[:12]}.tar"
    _git("archive", "--format=tar", "-o", str(archive), commit, "packages")
    try:
        subprocess.run(["tar", "-xf", str(archive), "-C", str(tree)], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BenchFailure(f"cannot unpack {archive}: {exc}") from exc
    finally:
        archive.unlink(missing_ok=True)
    done.touch()
    return tree


def _cargo_build(tree: Path, profile: str) -> tuple[Path, str, str]:
    """Build ``tree``'s Rust engine; returns the extension, the profile and the features used.

    The profile is the current build's when the revision defines it (``release`` otherwise);
    the cargo feature ``ablation`` is added when the revision declares it, as ``nox -s bench``
    does for the current tree, so both builds are compiled alike.
    """
    manifest = tree / "packages" / "bolt-rust" / "Cargo.toml"
    if not manifest.exists():
        raise BenchFailure(f"the baseline has no {manifest.relative_to(tree)}")
    text = manifest.read_text()
    if profile not in ("release", "dev") and f"[profile.{profile}]" not in text:
        log(f"baseline: no cargo profile {profile!r} at that revision, building 'release'")
        profile = "release"
    features = ["pyo3/extension-module"]
    if re.search(r"^ablation\s*=", text, re.MULTILINE):
        features.append("ablation")
    target_dir = BASELINE_DIR / "cargo"
    cmd = [
        "cargo",
        "build",
        "--quiet",
        "--lib",
        "--profile",
        profile,
        "--features",
        ",".join(features),
        "--manifest-path",
        str(manifest),
    ]
    log(f"baseline: building its Rust engine ({profile}, {','.join(features)}) in {target_dir}")
    env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir)}
    if subprocess.run(cmd, env=env).returncode != 0:
        raise BenchFailure(f"the baseline's Rust engine did not build: {' '.join(cmd)}")
    out_dir = target_dir / ("debug" if profile == "dev" else profile)
    built = out_dir / "lib_bolt.so"
    if not built.exists():
        raise BenchFailure(f"cargo built no {built}")
    return built, profile, ",".join(features)


def resolve(rev: str) -> str:
    """The full hash of the commit ``rev`` names (``main``, ``HEAD~1``, a hash)."""
    return _git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")


def build_baseline(rev: str, commit: str, profile: str, dest: Path, extension: str) -> Baseline:
    """Unpack ``commit``, build its engine, copy its packages to ``dest`` (the run's temp dir).

    ``extension`` is the file name of the current tree's extension (``_bolt.abi3.so``), which
    the baseline's takes in its copy of ``bolt_rust``.
    """
    subject = _git("log", "-1", "--format=%s", commit)
    log(f"baseline: {rev} is {commit[:12]} ({subject[:60]})")
    tree = _unpack(commit)
    built, profile, features = _cargo_build(tree, profile)
    for name, source in PACKAGE_SOURCES.items():
        if not (tree / source).is_dir():
            raise BenchFailure(f"the baseline has no {source} (a layout this runner predates)")
        shutil.copytree(tree / source, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for stale in (dest / "bolt_rust").glob("_bolt*.so"):
        stale.unlink()
    shutil.copyfile(built, dest / "bolt_rust" / extension)
    return Baseline(rev, commit, subject, profile, features, dest)


def baseline_targets(targets: list[Target], commit: str) -> list[Target]:
    """Each Bolt target followed by its twin serving ``commit``'s packages."""
    out = []
    for target in targets:
        out.append(target)
        out.append(
            replace(
                target,
                name=f"{target.name}{SUFFIX}",
                description=f"{target.description}, Bolt at commit {commit[:12]} (--baseline)",
                default=False,
                revision=commit[:12],
            )
        )
    return out


def _pairs(data: dict[str, Any]) -> list[tuple[str, str]]:
    names = [t for t in data["targets"] if t in data["results"]]
    return [(t, f"{t}{SUFFIX}") for t in names if f"{t}{SUFFIX}" in names]


def _round_ratios(cur: list[dict[str, Any]], base: list[dict[str, Any]], key: str) -> list[float]:
    """Run i of the current tree ÷ run i of the baseline: both ran in round i."""
    return [a[key] / b[key] for a, b in zip(cur, base, strict=False)]


def _short(subject: str, width: int = 72) -> str:
    """A commit subject cut to ``width`` characters (Bolt's subjects run to paragraphs)."""
    return subject if len(subject) <= width else subject[: width - 1].rstrip() + "…"


def render_baseline(data: dict[str, Any], stem: str) -> str:
    """The results file: per endpoint and target, current ÷ baseline of req/s and CPU/req."""
    b = data["baseline"]
    lines = header_lines(data, "Bolt against a baseline")
    lines += [
        f"- **Baseline**: `{b['rev']}` = commit {b['commit'][:12]} ({_short(b['subject'])}); its "
        f"packages unpacked with `git archive`, `bolt_rust` built with the cargo profile "
        f"`{b['profile']}` (features `{b['features']}`), served from the same interpreter and "
        f"virtualenv as the current tree (only Bolt's own code differs).",
        "",
        "## Current ÷ baseline",
        "",
        "Per endpoint: the medians of the runs of each side and their ratio; in brackets the "
        "range of the per-round ratios (run i ÷ run i: both ran in round i). req/s above 1.00× "
        "and CPU per request below 1.00× mean the current tree is faster. A ratio inside the "
        "range of the rounds' ratios, or within the runs' spread, is not a measured difference.",
        "",
        "| Endpoint | Target | req/s current | req/s baseline | req/s ÷ | "
        "CPU µs/req current | CPU µs/req baseline | CPU ÷ |",
        "|---|---|---|---|---|---|---|---|",
    ]
    noisy: list[str] = []
    for key in data["endpoints"]:
        ep = BY_KEY[key]
        for cur_name, base_name in _pairs(data):
            cur = data["results"][cur_name]["endpoints"].get(key)
            base = data["results"][base_name]["endpoints"].get(key)
            if not cur or not base:
                continue
            c, s = summarize(cur["runs"]), summarize(base["runs"])
            noisy += [f"{n} {key}" for n, x in ((cur_name, c), (base_name, s)) if x["noisy"]]
            rps = _round_ratios(cur["runs"], base["runs"], "rps")
            cpu = _round_ratios(cur["runs"], base["runs"], "cpu_us_per_req")
            lines.append(
                f"| {ep.key} {ep.title} | {cur_name} | {fmt_int(c['rps'])} | "
                f"{fmt_int(s['rps'])} | **{c['rps'] / s['rps']:.2f}×** "
                f"[{min(rps):.2f}–{max(rps):.2f}] | {c['cpu_us']:.1f} | {s['cpu_us']:.1f} | "
                f"**{c['cpu_us'] / s['cpu_us']:.2f}×** [{min(cpu):.2f}–{max(cpu):.2f}] |"
            )
    lines += ["", "## Versions", ""]
    for t, v in data["versions"].items():
        lines.append(f"- {t}: {v}")
    spread = [
        (x["cpu_max"] - x["cpu_min"]) / x["cpu_us"]
        for t in data["results"]
        for e in data["results"][t]["endpoints"].values()
        for x in (summarize(e["runs"]),)
    ]
    lines += [
        "",
        "## Notes",
        "",
        f"- The CPU/request of one target varies by up to {max(spread, default=0):.0%} "
        "between its runs (max − min over the median, worst cell)."
        if data["args"]["runs"] > 1
        else "- One run per side: the spread between runs was not measured, so small ratios "
        "(a few %) may be noise.",
        *common_notes(data["args"], noisy),
        "",
        f"Raw data: `benchmarks/results/raw/{stem}.json` (not committed).",
        "",
    ]
    return "\n".join(lines)
