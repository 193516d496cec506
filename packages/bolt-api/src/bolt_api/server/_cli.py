"""The ``bolt`` console script (also ``python -m bolt_api``): serve an API outside Django.

bolt serve myproject.api:api --engine python --host 127.0.0.1 --port 8000
bolt serve myproject.api:api --processes 4        # supervised, see bolt_api.server
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from typing import Any

from .._app import BoltAPI
from ..engines import DEFAULT_ENGINE, ENGINE_PACKAGES, load_engine
from ..exceptions import EngineNotFoundError, LifespanError
from ..proxies import TrustedProxies
from ._limits import add_limit_arguments, limits_from
from ._link import parent_link
from ._options import ProcessOptions, add_arguments, options_from
from ._serve import serve
from ._supervisor import Supervisor

__all__ = ["TRUSTED_PROXIES_ENV", "WORKERS_ENV", "check_server_flags", "import_api", "main"]


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
    """``bolt serve ...``: serve until stopped; the exit status (2: bad usage, 1: cannot
    serve)."""
    parser = argparse.ArgumentParser(prog="bolt", description="Serve a Bolt API.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve a BoltAPI given as module:attribute")
    run.add_argument("app", help="the API, as 'module:attribute'")
    run.add_argument(
        "--engine",
        default=DEFAULT_ENGINE,
        help=f"engine name ({', '.join(ENGINE_PACKAGES)}; default {DEFAULT_ENGINE})",
    )
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    run.add_argument(
        "--workers",
        type=int,
        default=None,
        help=f"engine worker threads per process (default ${WORKERS_ENV} or 1)",
    )
    run.add_argument("--backlog", type=int, default=1024, help="listen backlog (default 1024)")
    run.add_argument(
        "--keep-alive",
        type=float,
        default=5.0,
        help="seconds an idle keep-alive connection stays open; 0 disables it (default 5)",
    )
    run.add_argument(
        "--access-log",
        action="store_true",
        help="log every request to the 'django.server' logger (default off)",
    )
    run.add_argument(
        "--access-log-file",
        metavar="PATH",
        help="append every request's log line to PATH ('-': standard output), "
        "written by the engine itself, without logging (default off)",
    )
    run.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="IP_OR_CIDR",
        dest="trusted_proxies",
        help="honour X-Forwarded-For/-Proto from this proxy (an IP address or a "
        f"CIDR network); repeatable (default ${TRUSTED_PROXIES_ENV}, "
        "comma-separated, else none)",
    )
    add_arguments(run)
    add_limit_arguments(run)
    args = parser.parse_args(argv)
    try:
        process = options_from(vars(args), watch=[os.getcwd()])
        options = _server_options(args, process)
        engine = load_engine(args.engine)
    except (ValueError, EngineNotFoundError) as exc:
        parser.exit(2, f"bolt: error: {exc}\n")
    if process.supervised and parent_link() is None:
        try:
            return Supervisor(
                engine.name, args.host, args.port, process, backlog=args.backlog
            ).run()
        except OSError as exc:  # the address is taken, the host does not resolve, ...
            parser.exit(1, f"bolt: error: {exc}\n")
    sys.path.insert(0, ".")
    try:
        api = import_api(args.app)
    except (ImportError, ValueError) as exc:
        parser.exit(2, f"bolt: error: cannot load {args.app!r}: {exc}\n")
    try:
        serve(api, engine=args.engine, host=args.host, port=args.port, **options)
    except LifespanError as exc:  # the app's start-up raised: its traceback, then one line
        traceback.print_exception(exc.__cause__ or exc)
        parser.exit(1, f"bolt: error: {exc}\n")
    except ValueError as exc:  # a setting the engine refuses
        parser.exit(2, f"bolt: error: {exc}\n")
    except OSError as exc:  # the address is taken, the host does not resolve, ...
        parser.exit(1, f"bolt: error: {exc}\n")
    except KeyboardInterrupt:
        pass
    return 0


#: Environment variable giving the default of ``--workers``.
WORKERS_ENV = "BOLT_WORKERS"
#: Environment variable giving the default of ``--trusted-proxy`` (comma-separated).
TRUSTED_PROXIES_ENV = "BOLT_TRUSTED_PROXIES"


def check_server_flags(workers: int | None, backlog: int, keep_alive: float) -> int:
    """Check ``--workers``/``--backlog``/``--keep-alive`` (``bolt serve`` and ``runbolt``
    share this); return the worker count, ``$BOLT_WORKERS`` or 1 when not given."""
    if workers is None:
        raw = os.environ.get(WORKERS_ENV, "1")
        try:
            workers = int(raw)
        except ValueError:
            raise ValueError(f"${WORKERS_ENV} must be an integer, got {raw!r}.") from None
    if workers < 1:
        raise ValueError(f"--workers must be 1 or more, got {workers}.")
    if backlog < 1:
        raise ValueError(f"--backlog must be 1 or more, got {backlog}.")
    if not keep_alive >= 0:
        raise ValueError(f"--keep-alive must be 0 or more, got {keep_alive}.")
    return workers


def _server_options(args: argparse.Namespace, process: ProcessOptions) -> dict[str, Any]:
    workers = check_server_flags(args.workers, args.backlog, args.keep_alive)
    proxies, source = args.trusted_proxies, "--trusted-proxy"
    if proxies is None:
        raw = os.environ.get(TRUSTED_PROXIES_ENV, "")
        proxies, source = [p for p in raw.split(",") if p.strip()], f"${TRUSTED_PROXIES_ENV}"
    try:
        trusted = TrustedProxies(proxies).entries
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    return {
        "workers": workers,
        "backlog": args.backlog,
        "keep_alive": args.keep_alive,
        "graceful_timeout": process.graceful_timeout,
        "access_log": args.access_log,
        "access_log_file": args.access_log_file,
        "trusted_proxies": trusted,
        "ablate": tuple(args.ablate or ()),
        **limits_from(vars(args)),
    }
