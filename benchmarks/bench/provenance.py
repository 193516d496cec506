"""What a results file says it measured: versions, the Bolt commit and build, machine, command.

A figure without the exact build and machine behind it cannot be reproduced; the Rust
extension's cargo profile is found by content, not trusted from the environment.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
from pathlib import Path

from benchmarks.bench.base import ROOT, BenchFailure
from benchmarks.bench.nginx import nginx_binary
from benchmarks.bench.targets import Env, Target

__all__ = [
    "check_profile",
    "command_line",
    "git_describe",
    "machine_info",
    "rust_profile",
    "versions",
]


def versions(targets: list[Target], env: Env) -> dict[str, str]:
    out: dict[str, str] = {}
    for target in targets:
        if target.name == "nginx":
            r = subprocess.run([nginx_binary(), "-v"], capture_output=True, text=True)
            out[target.name] = (r.stderr or r.stdout).strip().removeprefix("nginx version: ")
            continue
        py = str(env.pythons[target.name])
        code = (
            "import importlib.metadata as m, platform, sys\n"
            "names = sys.argv[1:]\n"
            "parts = []\n"
            "for n in names:\n"
            "    try: parts.append(f'{n} {m.version(n)}')\n"
            "    except m.PackageNotFoundError: parts.append(f'{n} (missing)')\n"
            "print(', '.join(parts + ['Python ' + platform.python_version()]))\n"
        )
        snapshot = env.snapshot if target.revision is None else env.baseline
        run_env = None
        if target.framework == "bolt" and snapshot is not None:
            # the snapshot carries Bolt's metadata: the targets on other interpreters have
            # the packages from there only
            run_env = {**os.environ, "PYTHONPATH": str(snapshot)}
        r = subprocess.run(
            [py, "-c", code, *target.distributions], capture_output=True, text=True, env=run_env
        )
        if r.returncode != 0:
            raise BenchFailure(f"cannot read versions for {target.name}: {r.stderr}")
        text = r.stdout.strip()
        if target.framework == "bolt" and target.revision is not None:
            text += f"; Bolt's packages from commit {target.revision} (--baseline)"
        elif target.framework == "bolt":
            text += (
                f", cargo profile {rust_profile(env.snapshot)}, commit {env.git or git_describe()}"
            )
        out[target.name] = text
    return out


def rust_profile(snapshot: Path | None) -> str:
    """The cargo profile the bolt_rust extension was built with, found by content."""
    if snapshot is None:
        return "unknown"
    built_so = sorted((snapshot / "bolt_rust").glob("_bolt*.so"))
    if not built_so:
        return "unknown (no extension in bolt_rust)"
    installed = built_so[0].read_bytes()
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("release", "fast", "profiling", "debug"):
        built = target_dir / profile / "lib_bolt.so"
        if built.exists() and built.read_bytes() == installed:
            return profile
    return "unknown (matches no build in target/)"


def check_profile(env: Env) -> str:
    """The extension must be the build the session asked for (``BOLT_RUST_PROFILE``)."""
    found = rust_profile(env.snapshot)
    wanted = os.environ.get("BOLT_RUST_PROFILE")
    if wanted and found != wanted:
        raise BenchFailure(
            f"the installed bolt_rust extension is the {found!r} build, not the "
            f"{wanted!r} one this session built (another session rebuilt it?): "
            "run the benchmark again"
        )
    return found


def git_describe() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "packages"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + (" + uncommitted changes in packages/" if dirty else "")


def machine_info(args: argparse.Namespace) -> dict[str, str]:
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    os_name = "unknown"
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    wrk_v = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    wrk_version = (
        (wrk_v.stdout or wrk_v.stderr).splitlines()[0] if (wrk_v.stdout or wrk_v.stderr) else "?"
    )
    return {
        "nproc": nproc,
        "cpu": model,
        "kernel": platform.release(),
        "os": os_name,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "wrk": wrk_version.split(" Copyright")[0].strip(),
        "runner_python": platform.python_version(),
        "server_cpu": str(args.server_cpu),
        "client_cpu": str(args.client_cpu),
    }


def command_line() -> str:
    return os.environ.get("BOLT_BENCH_COMMAND") or shlex.join(
        ["python", "benchmarks/run.py", *sys.argv[1:]]
    )
