#!/usr/bin/env python
"""The cross-engine benchmark runner's script: ``python benchmarks/run.py [options]``, which
``nox -s bench -- [options]`` runs (see benchmarks/README.md; ``--help`` lists the modes).

The runner itself is the package ``benchmarks/bench/``, one concept per module (its
docstring lists them); this file only puts the checkout on ``sys.path`` and calls
``benchmarks.bench.cli.main``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.bench.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    raise SystemExit(main())
