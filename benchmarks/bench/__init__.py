"""The cross-engine benchmark runner, one concept per module (``benchmarks/run.py`` runs it).

The modules, from the bottom up (each imports only modules listed before it):

* ``base``: the checkout's paths, ``BenchFailure``, ``log``;
* ``endpoints``: E1..E11, their twins and HOL, and the answer each must give;
* ``measure``: CPU time, RSS and core load read from ``/proc``; the medians of the runs;
* ``targets``: the servers measured (``Target``), what one invocation resolved (``Env``);
* ``database``: E5/E5s's throw-away PostgreSQL cluster (or sqlite without one);
* ``background``: HOL's slow requests, kept in flight by a process of their own;
* ``nginx``: nginx's configuration (the load generator's ceiling);
* ``features``: the feature tables (twins, head-of-line, the database's CPU);
* ``report``, ``charts``: the main results file and its PNG charts;
* ``ablation``: the ``--ablation`` mode's configurations and table;
* ``servers``: each target's command line; starting, verifying and stopping its server;
* ``load``: ``wrk`` pinned to its own core; the wait for quiet cores;
* ``prepare``: the peers' virtualenvs, the databases, the snapshot of Bolt's packages;
* ``provenance``: versions, Bolt's commit and cargo profile, the machine, the command;
* ``rounds``: every target measured in interleaved rounds;
* ``soak``: the ``--rss-soak`` mode;
* ``baseline``: the ``--baseline REV`` mode, the current tree against a git revision;
* ``cli``: the arguments and ``main``.
"""

__all__: list[str] = []
