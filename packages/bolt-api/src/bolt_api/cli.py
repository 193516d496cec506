"""The ``bolt`` console script (also ``python -m bolt_api``): serve an API outside Django.

    bolt serve myproject.api:api --engine python --host 127.0.0.1 --port 8000
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .app import BoltAPI
from .engines import DEFAULT_ENGINE, ENGINE_PACKAGES
from .exceptions import EngineNotFoundError
from .serving import serve

__all__ = ["import_api", "main"]


def import_api(target: str) -> BoltAPI:
    """Import ``"module:attribute"`` and check it is a ``BoltAPI``."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'module:attribute', got {target!r}")
    module = importlib.import_module(module_name)
    try:
        api = getattr(module, attr)
    except AttributeError:
        raise ValueError(f"module {module_name!r} has no attribute {attr!r}") from None
    if not isinstance(api, BoltAPI):
        raise ValueError(f"{target!r} is a {type(api).__name__}, not a BoltAPI")
    return api


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bolt", description="Serve a Bolt API.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve a BoltAPI given as module:attribute")
    run.add_argument("app", help="the API, as 'module:attribute'")
    run.add_argument("--engine", default=DEFAULT_ENGINE,
                     help=f"engine name ({', '.join(ENGINE_PACKAGES)}; default {DEFAULT_ENGINE})")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)
    sys.path.insert(0, ".")
    try:
        api = import_api(args.app)
    except (ImportError, ValueError) as exc:
        parser.exit(2, f"bolt: error: cannot load {args.app!r}: {exc}\n")
    try:
        serve(api, engine=args.engine, host=args.host, port=args.port)
    except EngineNotFoundError as exc:
        parser.exit(2, f"bolt: error: {exc}\n")
    except OSError as exc:  # the address is taken, the host does not resolve, ...
        parser.exit(1, f"bolt: error: {exc}\n")
    except KeyboardInterrupt:
        pass
    return 0
