"""Bolt's Rust engine (hyper + Tokio through PyO3).

Select it with ``serve(api, engine="rust")`` or ``runbolt --engine rust``; bolt-api finds it
through the ``bolt_api.engines`` entry point. The native module is the private
``bolt_rust._bolt``; this package owns the public surface.
"""

import os

# The worker threads and Tokio's blocking threads run Python (binders, handlers) with Rust's
# default 2 MiB stack. CPython 3.12+ bounds C recursion by a count, not by the stack left, so
# msgspec decoding a JSON body nested 10,000 deep overflows 2 MiB and kills the process
# (CPython's own main thread has 8 MiB and gets a RecursionError, answered 422). Rust reads
# this variable at its first thread spawn, which is after this import; a value the operator
# set is kept.
os.environ.setdefault("RUST_MIN_STACK", str(8 * 1024 * 1024))

from ._bolt import __version__
from ._engine import Engine

__all__ = ["Engine", "__version__"]
