"""Switching the seed's optimisations off, for the benchmark's ablation table only.

``BOLT_ABLATE`` is a comma list read once at import. bolt-api honours ``trivial_async``
(every ``async def`` handler and streamed async generator goes through the event loop),
``compiled_encoders`` (every route encodes with an ``isinstance`` chain per request) and
``rust_params`` (no ``ParamSpec``: every parameter is bound in Python); the Rust engine
honours ``zero_copy``, ``lazy_parts`` and ``pin_thread``. Never set it in production.
"""

from __future__ import annotations

import os

__all__ = ["ABLATED", "ablated"]

ABLATED: frozenset[str] = frozenset(
    name.strip() for name in os.environ.get("BOLT_ABLATE", "").split(",") if name.strip()
)


def ablated(name: str) -> bool:
    """True when the optimisation ``name`` is switched off."""
    return name in ABLATED
