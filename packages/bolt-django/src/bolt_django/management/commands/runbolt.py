"""``manage.py runbolt``: serve the project's Bolt APIs on the Rust or the Python engine.

Built like Django's ``runserver``: overridable defaults as class attributes, bad input as
``CommandError`` (before anything is served), output through ``self.stdout``, and hooks
(:meth:`Command.get_api`, :meth:`Command.inner_run`) that a project can override in its own
``runbolt`` command. The engine name is checked first, so a typo fails in milliseconds
instead of after importing every API module.

With ``--processes N`` (or a recycling option, or ``--dev``) this process becomes the
supervising parent of N serving processes, each running this same command
(:mod:`bolt_api.server`); the first of them prints the checks and the routes.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import traceback
from argparse import ArgumentParser
from typing import Any, TextIO, cast

from bolt_api import BoltAPI, EngineNotFoundError, load_engine, serve
from bolt_api.engines import DEFAULT_ENGINE, ENGINE_PACKAGES
from bolt_api.exceptions import LifespanError
from bolt_api.proxies import TrustedProxies
from bolt_api.server import (
    WORKERS_ENV,
    ProcessOptions,
    Supervisor,
    add_limit_arguments,
    check_server_flags,
    limits_from,
    options_from,
    parent_link,
)
from bolt_api.server import add_arguments as add_process_arguments
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connections

from bolt_django.discovery import discover_apis, project_api
from bolt_django.static import file_mounts, register_file_routes

__all__ = ["Command"]

_BIND_ERRORS = {
    errno.EACCES: "You don't have permission to access that port.",
    errno.EADDRINUSE: "That port is already in use.",
    errno.EADDRNOTAVAIL: "That IP address can't be assigned to.",
}


class Command(BaseCommand):
    help = "Serves the project's Bolt APIs on the chosen engine (rust or python)."

    # Checks run in handle() so that --skip-checks works, as in runserver.
    requires_system_checks = ()

    # Loopback, as runserver: exposing the server is a choice made with --host.
    default_host = "127.0.0.1"
    default_port = 8000
    default_engine: str = DEFAULT_ENGINE
    default_backlog = 1024
    default_keep_alive = 5.0

    def add_arguments(self, parser: ArgumentParser) -> None:
        # No argparse `choices` for --engine: load_engine() gives the better message
        # (which package to install), and third-party engines can register new names.
        parser.add_argument(
            "--engine",
            default=self.default_engine,
            help=f"Engine to serve with: {', '.join(ENGINE_PACKAGES)} "
            f"(default: {self.default_engine}).",
        )
        parser.add_argument(
            "--host",
            default=self.default_host,
            help=f"Address to bind (default: {self.default_host}).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=self.default_port,
            help=f"Port to bind (default: {self.default_port}); 0 picks a free port.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help=f"Engine worker threads per process (default: ${WORKERS_ENV} or 1).",
        )
        parser.add_argument(
            "--backlog",
            type=int,
            default=self.default_backlog,
            help=f"Listen backlog (default: {self.default_backlog}).",
        )
        parser.add_argument(
            "--keep-alive",
            type=float,
            default=self.default_keep_alive,
            help=f"Seconds an idle keep-alive connection stays open; 0 disables it "
            f"(default: {self.default_keep_alive:g}).",
        )
        parser.add_argument(
            "--access-log",
            action="store_true",
            help="Log every request to the 'django.server' logger (default: "
            "settings.BOLT_ACCESS_LOG, else on with --dev only).",
        )
        parser.add_argument(
            "--access-log-file",
            metavar="PATH",
            help="Append every request's log line to PATH ('-': standard output), written by "
            "the engine itself, without logging (default: settings.BOLT_ACCESS_LOG when "
            "it is a path, else off).",
        )
        parser.add_argument(
            "--trusted-proxy",
            action="append",
            metavar="IP_OR_CIDR",
            dest="trusted_proxies",
            help="Honour X-Forwarded-For/-Proto from this proxy (an IP address or a CIDR "
            "network); repeatable (default: settings.BOLT_TRUSTED_PROXIES, else none).",
        )
        parser.add_argument(
            "--no-django-fallback",
            action="store_true",
            help="Answer requests no Bolt route matches with Bolt's 404 instead of handing "
            "them to Django's URLconf (default: settings.BOLT_DJANGO_FALLBACK, else on).",
        )
        parser.add_argument("--skip-checks", action="store_true", help="Skip system checks.")
        # Files: when nginx (or a CDN) serves STATIC_URL/MEDIA_URL (bolt_django.static).
        parser.add_argument(
            "--no-static",
            action="store_false",
            dest="serve_static",
            help="Do not serve STATIC_URL (default: settings.BOLT_SERVE_STATIC, else served).",
        )
        parser.add_argument(
            "--no-media",
            action="store_false",
            dest="serve_media",
            help="Do not serve MEDIA_URL (default: settings.BOLT_SERVE_MEDIA, else served).",
        )
        add_process_arguments(parser)
        add_limit_arguments(parser, settings=True)

    #: Whether get_api() adds the static and media routes (``--no-static``/``--no-media``).
    serve_static = True
    serve_media = True

    def handle(self, *args: Any, **options: Any) -> None:
        engine = options["engine"]
        self.serve_static = options.get("serve_static", True)
        self.serve_media = options.get("serve_media", True)
        try:
            load_engine(engine)
        except EngineNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        server_options = self.server_options(options)
        try:
            process = options_from(options, watch=[self.project_dir()])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        server_options["graceful_timeout"] = process.graceful_timeout
        self.django_fallback = _django_fallback(options.get("no_django_fallback", False))
        with contextlib.suppress(KeyboardInterrupt):  # CONTROL-C: stop quietly
            if process.supervised and parent_link() is None:
                self.supervise(engine, options["host"], options["port"], server_options, process)
            else:
                self.inner_run(
                    engine,
                    options["host"],
                    options["port"],
                    server_options,
                    skip_checks=options["skip_checks"],
                )

    def server_options(self, options: dict[str, Any]) -> dict[str, Any]:
        """Validated ``ServerConfig`` fields besides host and port."""
        port = options["port"]
        if not 0 <= port <= 65535:
            raise CommandError(f"--port must be 0-65535, got {port}.")
        try:
            workers = check_server_flags(
                options["workers"], options["backlog"], options["keep_alive"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        # --dev logs every request, as runserver does, unless BOLT_ACCESS_LOG says otherwise:
        # the engines' own access log, through the 'django.server' logger runserver uses.
        setting = getattr(settings, "BOLT_ACCESS_LOG", bool(options.get("dev")))
        access_log_file = options.get("access_log_file") or (
            setting if isinstance(setting, str) and setting else None
        )
        access_log = bool(options.get("access_log") or (setting and access_log_file is None))
        return {
            "workers": workers,
            "backlog": options["backlog"],
            "keep_alive": options["keep_alive"],
            "access_log": access_log,
            "access_log_file": access_log_file,
            "trusted_proxies": _trusted_proxies(options.get("trusted_proxies")),
            "ablate": tuple(options.get("ablate") or ()),
            **_limits(options),
        }

    def get_api(self) -> BoltAPI:
        """The one API to serve: every discovered API merged. Override to serve another."""
        found = discover_apis()
        merged = project_api(found)
        noun = "API" if len(found) == 1 else "APIs"
        self.stdout.write(f"Found {len(found)} Bolt {noun}:")
        for label, api in found:
            self.stdout.write(f"  {label} ({_routes(len(api.routes))})")
        self.stdout.write(f"Serving {_routes(len(merged.routes))}.")
        mounts = file_mounts(static=self.serve_static, media=self.serve_media)
        try:
            served = register_file_routes(merged, mounts)
        except ValueError as exc:  # an API route already takes the prefix
            raise CommandError(str(exc)) from exc
        if served:
            self.stdout.write(f"Serving files under {', '.join(served)}.")
        return merged

    def project_dir(self) -> str:
        """What ``--dev`` watches: ``settings.BASE_DIR``, else the current directory."""
        return str(getattr(settings, "BASE_DIR", None) or os.getcwd())

    def supervise(
        self,
        engine: str,
        host: str,
        port: int,
        server_options: dict[str, Any],
        process: ProcessOptions,
    ) -> None:
        """Run ``process.count`` serving processes (this command again) and supervise them."""
        # The serving processes are fresh interpreters; none may inherit a connection.
        connections.close_all()
        try:
            code = Supervisor(
                load_engine(engine).name,
                host,
                port,
                process,
                backlog=server_options["backlog"],
                out=cast(TextIO, self.stdout),
            ).run()
        except OSError as exc:
            reason = _BIND_ERRORS.get(exc.errno or 0, str(exc))
            if exc.errno == errno.EADDRINUSE:
                reason = "That port is already in use by another program."
            raise CommandError(f"Cannot serve on {host}:{port}: {reason}") from exc
        if code:
            raise SystemExit(code)  # the reason is already on stderr

    def inner_run(
        self,
        engine: str,
        host: str,
        port: int,
        server_options: dict[str, Any],
        *,
        skip_checks: bool = False,
    ) -> None:
        """Check the project, build the API and serve it until interrupted."""
        link = parent_link()
        if link is not None and not link.verbose:
            # One of several serving processes: the first one reports, the others are quiet.
            skip_checks = True
            self.stdout = OutputWrapper(io.StringIO())
        if not skip_checks:
            # A broken API module is one CommandError naming its file and line (the cause's
            # traceback with --traceback) rather than the same error again among the checks.
            discover_apis()
            self.stdout.write("Performing system checks...")
            self.check(display_num_errors=True)
        if link is None or link.verbose:
            self.check_migrations()
        api = self.get_api()
        # the admin and the project's other views next to the API (bolt_api._mounts)
        api.django_fallback = getattr(self, "django_fallback", True)
        if api.django_fallback:
            self.stdout.write("Requests no Bolt route matches go to Django (ROOT_URLCONF).")
        self.stdout.write("Quit the server with CONTROL-C.")
        self.stdout.flush()
        # The engine's threads open their own connections; none may be inherited.
        connections.close_all()
        try:
            serve(
                api,
                engine=engine,
                host=host,
                port=port,
                out=cast(TextIO, self.stdout),
                **server_options,
            )
        except OSError as exc:
            reason = _BIND_ERRORS.get(exc.errno or 0, str(exc))
            raise CommandError(f"Cannot serve on {host}:{port}: {reason}") from exc
        except LifespanError as exc:  # the app's start-up raised: its traceback, one line
            traceback.print_exception(exc.__cause__ or exc)
            raise CommandError(str(exc)) from exc
        except (ValueError, ImproperlyConfigured) as exc:
            # a setting the engine refuses (e.g. --workers), a middleware that does not import
            raise CommandError(str(exc)) from exc


def _django_fallback(off: bool) -> bool:
    """Whether misses go to Django: not with ``--no-django-fallback``, else the setting."""
    value = getattr(settings, "BOLT_DJANGO_FALLBACK", True)
    if not isinstance(value, bool):
        raise CommandError(f"settings.BOLT_DJANGO_FALLBACK must be True or False, got {value!r}")
    return value and not off


def _trusted_proxies(flags: list[str] | None) -> tuple[str, ...]:
    """``--trusted-proxy`` values, else ``settings.BOLT_TRUSTED_PROXIES``, checked."""
    if flags is not None:
        try:
            return TrustedProxies(flags).entries
        except ValueError as exc:
            raise CommandError(f"--trusted-proxy: {exc}") from None
    value = getattr(settings, "BOLT_TRUSTED_PROXIES", None)
    if value is None:
        return ()
    try:
        return TrustedProxies(value).entries
    except (TypeError, ValueError) as exc:
        raise CommandError(
            f"settings.BOLT_TRUSTED_PROXIES must be a list of IP addresses or CIDR networks: {exc}"
        ) from None


#: django-bolt's name for the body limit, honoured as ``BOLT_MAX_BODY_SIZE`` (porting).
_UPLOAD_SIZE = "BOLT_MAX_UPLOAD_SIZE"


def _limits(options: dict[str, Any]) -> dict[str, int | float]:
    """The request limits: each flag, else ``settings.BOLT_<FIELD>`` (``BOLT_MAX_BODY_SIZE``
    also under django-bolt's name, ``BOLT_MAX_UPLOAD_SIZE``), else the engines' default."""
    body, upload = (getattr(settings, name, None) for name in ("BOLT_MAX_BODY_SIZE", _UPLOAD_SIZE))
    if body is not None and upload is not None and body != upload:
        raise CommandError(
            f"settings.BOLT_MAX_BODY_SIZE ({body!r}) and settings.{_UPLOAD_SIZE} ({upload!r}) "
            "are the same limit: set one."
        )

    def setting(name: str) -> Any:
        value = getattr(settings, name, None)
        if value is None and name == "BOLT_MAX_BODY_SIZE":
            return upload
        return value

    try:
        return limits_from(options, setting)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _routes(count: int) -> str:
    return f"{count} route" if count == 1 else f"{count} routes"
