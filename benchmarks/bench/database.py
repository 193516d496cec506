"""The database E5 and E5s read: a throw-away PostgreSQL cluster, or sqlite without one.

The cluster is the conformance suite's (``tests/postgres.py``: ``initdb`` in a temporary
directory, a free loopback port, run as the ``postgres`` user under root), started once per
run with one database per Django target, and stopped when the run ends. It is pinned to the
load generator's core: on the server's core it would be counted as other load and void the
runs, and unpinned it would land on either. Its CPU time during a run is measured like the
server's (``helper_pids``) and reported apart, so it is neither in the server's CPU per
request nor mistaken for noise. Without PostgreSQL's binaries (Debian's ``postgresql``;
``nox -s bench`` installs it as root) the targets read a sqlite file each, and the results
say so.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from benchmarks.bench.base import BenchFailure, log
from benchmarks.bench.endpoints import BY_KEY
from benchmarks.bench.measure import process_tree
from benchmarks.bench.targets import Env, Target

__all__ = ["helper_pids", "start_database", "stop_database"]

#: The live cluster's postmaster, whose process tree ``helper_pids`` lists.
_POSTMASTER: list[int] = []


def helper_pids() -> list[int]:
    """The PostgreSQL processes of the live cluster (none on sqlite)."""
    return process_tree(_POSTMASTER[0]) if _POSTMASTER else []


def start_database(targets: list[Target], env: Env) -> None:
    """Give every Django target a database of its own in ``env.dbs`` (empty, not migrated).

    ``--db auto`` (the default) takes PostgreSQL when its binaries are installed, else
    sqlite; ``--db postgresql`` fails without them; ``--db sqlite`` never starts a cluster.
    """
    django = [t for t in targets if t.django]
    if not django:
        return
    choice = env.args.db
    wanted = any(BY_KEY[k].needs_django for k in env.args.endpoints.split(","))
    bin_dir = None
    if not wanted:  # no endpoint reads it: the apps only need a database to import
        choice = "sqlite"
    elif choice != "sqlite":
        from tests.postgres import find_binaries

        bin_dir = find_binaries()
        if bin_dir is None and choice == "postgresql":
            raise BenchFailure(
                "--db postgresql: no PostgreSQL binaries (initdb, pg_ctl); install Debian's "
                "postgresql (`nox -s bench` does, as root)"
            )
    if bin_dir is None:
        why = "chosen with --db sqlite" if choice == "sqlite" else "no PostgreSQL binaries found"
        if wanted:
            env.database = f"sqlite, a file per target ({why})"
            log(f"E5/E5s database: {env.database}")
        for t in django:
            env.dbs[t.name] = str(env.tmp / f"{t.name}.sqlite3")
        return
    env.cluster = _start_cluster(bin_dir, env.args.client_cpu)
    import psycopg

    with psycopg.connect(env.cluster.dsn, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        for t in django:
            name = "bench_" + re.sub(r"\W", "_", t.name)  # bolt-rust@baseline too
            conn.execute(f'CREATE DATABASE "{name}"')
            env.dbs[t.name] = f"postgresql://postgres@127.0.0.1:{env.cluster.port}/{name}"
    env.database = (
        f"PostgreSQL {row[0] if row else '?'} ({bin_dir}), a throw-away cluster on "
        f"127.0.0.1 pinned to CPU {env.args.client_cpu}, a database per target, fsync off"
    )
    log(f"E5/E5s database: {env.database}")


def _start_cluster(bin_dir: Path, cpu: int) -> object:
    from tests.postgres import Cluster

    try:
        cluster = Cluster(bin_dir)
        cluster.start()
    except (OSError, RuntimeError, KeyError) as exc:
        raise BenchFailure(f"could not start a PostgreSQL cluster: {exc}") from exc
    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
    for pid in process_tree(postmaster):  # the backends forked later inherit the mask
        os.sched_setaffinity(pid, {cpu})
    _POSTMASTER[:] = [postmaster]
    return cluster


def stop_database(env: Env) -> None:
    """Stop and delete the cluster, if one was started."""
    if env.cluster is not None:
        _POSTMASTER.clear()
        env.cluster.stop()
        env.cluster = None
