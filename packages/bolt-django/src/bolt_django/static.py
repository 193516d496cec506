"""Static and media files under ``runbolt``: Bolt routes that answer with the engine's ``FileBody``.

``runserver`` serves ``STATIC_URL`` in development only; a Bolt project runs ``runbolt`` in
production too, so without this module its admin has no CSS and its uploads no URL. Each
prefix becomes one ``GET {prefix}{path:path}`` route (``HEAD`` comes with it) on the API that
``runbolt`` serves, so the engines need nothing new: the route resolves the file with
:class:`bolt_api.files.PendingFile` — the same ``ETag``/``Last-Modified``, 304, single range
(206/416) and ``HEAD`` as any ``FileResponse`` — and the engine copies the bytes from disk.
The routes are not API operations: the OpenAPI document leaves them out, and they run no
authentication or guards (``BOLT_AUTHENTICATION_CLASSES`` would lock the admin's login page
out of its own stylesheet).

What is served:

* ``STATIC_URL`` from ``STATIC_ROOT`` (what ``collectstatic`` gathered); with ``DEBUG`` and
  ``django.contrib.staticfiles`` installed, through the staticfiles finders instead, as
  ``runserver`` does, so the admin's CSS and JS work without ``collectstatic``.
* ``MEDIA_URL`` from ``MEDIA_ROOT``. Uploads are the users' files, not the project's: one a
  browser could run (HTML, SVG, XML, JavaScript — :data:`ACTIVE_TYPES`) is sent with
  ``Content-Disposition: attachment``, so it is downloaded and never runs on the site's
  origin.
* Every such file carries ``X-Content-Type-Options: nosniff`` (a browser must not guess a
  script out of a ``.txt``) and the ``Cache-Control`` of its kind.
* A prefix that is a full URL (``https://cdn.example.com/static/``) serves nothing: the files
  live elsewhere. Nor does an unset, empty or ``"/"`` one (Django reads an empty ``MEDIA_URL``
  as ``"/"``; a route for every URL would swallow the API's 404s).

Settings (all optional):

* ``BOLT_SERVE_STATIC`` / ``BOLT_SERVE_MEDIA`` (default ``True``): ``False`` when a front
  server (nginx) serves them; ``runbolt --no-static`` / ``--no-media`` do the same.
* ``BOLT_STATIC_CACHE_CONTROL`` (default :data:`DEFAULT_STATIC_CACHE_CONTROL`, and
  ``no-cache`` for files found by the finders in ``DEBUG``, which change as one edits them)
  and ``BOLT_MEDIA_CACHE_CONTROL`` (default :data:`DEFAULT_MEDIA_CACHE_CONTROL`: an upload
  may be replaced under the same name, so the browser revalidates — a 304 thanks to the
  ``ETag``). ``None`` sends no ``Cache-Control``.
* ``BOLT_STATIC_FOLLOW_SYMLINKS`` / ``BOLT_MEDIA_FOLLOW_SYMLINKS`` (default ``False``).

Paths: the requested path (already percent-decoded by the engine, so ``%2F`` is a slash and
``%2e%2e`` is ``..`` by the time it is looked at) must be relative and clean — no ``..`` or
``.`` segment, no empty segment (``//``, a trailing or leading slash, hence no absolute
path), no backslash, no NUL or other control character; anything else is a 404 without
touching the disk. Symlink policy: a symlink inside the root that points inside the root is
served; one whose target leaves the root is a 404 unless ``BOLT_*_FOLLOW_SYMLINKS`` is
``True`` (needed after ``collectstatic --link``, whose links all point into the apps). The
check is on the real path (``os.path.realpath``), so it holds for a symlinked directory on the
way as much as for the file.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bolt_api import BoltAPI
from bolt_api._response import JSONEncode
from bolt_api._router import RouteDef
from bolt_api.engine import Request, ResponseTuple
from bolt_api.exceptions import NotFound
from bolt_api.files import FileAccess, FileResponse, PendingFile
from bolt_api.responses import Response
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "ACTIVE_TYPES",
    "DEFAULT_MEDIA_CACHE_CONTROL",
    "DEFAULT_STATIC_CACHE_CONTROL",
    "DEV_STATIC_CACHE_CONTROL",
    "FileMount",
    "file_mounts",
    "register_file_routes",
]

#: ``STATIC_ROOT`` files: names without a content hash may change at a deploy, so an hour.
DEFAULT_STATIC_CACHE_CONTROL = "public, max-age=3600"
#: Files found by the finders under ``DEBUG``: they change as one edits them.
DEV_STATIC_CACHE_CONTROL = "no-cache"
#: Uploads: revalidated every time (cheap: a 304 on the ``ETag``).
DEFAULT_MEDIA_CACHE_CONTROL = "no-cache"
#: Media types a browser renders as a document or runs as a script: an upload of one of
#: these (or of any ``+xml`` type) is sent as an attachment.
ACTIVE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/xsl",
        "application/xslt+xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/ecmascript",
    }
)

_NOSNIFF = ("x-content-type-options", "nosniff")


@dataclass(frozen=True, slots=True)
class FileMount:
    """One URL prefix served from disk: where its files are and how they are sent."""

    #: ``"/static/"``: the URL path every file of this mount starts with.
    prefix: str
    #: The directory files are looked up in; ``None``: through the staticfiles finders.
    root: str | None
    cache_control: str | None
    #: Serve a file whose real path leaves its root (a symlink pointing outside).
    follow_symlinks: bool = False
    #: Media: a file a browser could run (:data:`ACTIVE_TYPES`) goes as an attachment.
    uploads: bool = False

    def locate(self, relative: str) -> tuple[str, FileAccess]:
        """The file for URL path ``relative`` and the access check it must pass; a 404
        (:class:`~bolt_api.exceptions.NotFound`) for a path that is not a clean relative one
        or that no file answers."""
        if not _clean(relative):
            raise NotFound()
        if self.root is not None:
            root = self.root
            path = os.path.join(root, *relative.split("/"))
        else:
            from django.contrib.staticfiles import finders

            found = finders.find(relative)
            if not isinstance(found, str):
                raise NotFound()
            path = found
            # A finder answers ``root/relative``: its root is what the path must stay in.
            tail = os.path.join(*relative.split("/"))
            root = path[: -len(tail)] if path.endswith(tail) else os.path.dirname(path)
        access = FileAccess() if self.follow_symlinks else FileAccess.under([root])
        return path, access

    def headers(self, path: str) -> dict[str, str]:
        """The headers this mount adds to the file at ``path``."""
        out = {_NOSNIFF[0]: _NOSNIFF[1]}
        if self.cache_control:
            out["cache-control"] = self.cache_control
        return out

    def serve(self, request: Request) -> Response:
        """The route's handler: the file for ``request`` as the engine's ``FileBody``."""
        relative = (request.path_params or {}).get("path", "")
        path, access = self.locate(relative)
        media_type, _ = mimetypes.guess_type(path)
        filename = None
        if self.uploads and _active(media_type):
            filename = os.path.basename(path)
        response = FileResponse(path, filename=filename, headers=self.headers(path))
        status, headers, body = response.render(_no_json)
        assert isinstance(body, PendingFile)
        try:
            return _Resolved(body.resolve(request, (status, headers, b""), access))
        except (OSError, ValueError):  # gone, a directory, unreadable, or out of the root
            raise NotFound() from None


class _Resolved(Response):
    """A response already resolved against its request (what a ``PendingFile`` answers)."""

    __slots__ = ("resolved",)

    def __init__(self, resolved: ResponseTuple) -> None:
        super().__init__(None, resolved[0])
        self.resolved = resolved

    def render(self, encode_json: JSONEncode) -> ResponseTuple:
        return self.resolved


def _no_json(value: Any) -> bytes:  # a FileResponse never encodes JSON
    raise TypeError("a file response has no JSON content")


def _clean(relative: str) -> bool:
    """Whether ``relative`` is a plain relative path: segments that are names, nothing else."""
    if not relative or not relative.isprintable() or "\\" in relative:
        return False  # isprintable(): no NUL, CR, LF or other control character
    return all(segment not in ("", ".", "..") for segment in relative.split("/"))


def _active(media_type: str | None) -> bool:
    if media_type is None:
        return False
    return media_type in ACTIVE_TYPES or media_type.endswith("+xml")


def _prefix(setting: str) -> str | None:
    """The URL path of ``settings.<setting>`` to serve, or ``None`` for nothing (unset, empty,
    ``"/"``, or a full URL: another server has the files)."""
    value = getattr(settings, setting, None)
    if not value:
        return None
    if not isinstance(value, str):
        raise ImproperlyConfigured(f"{setting} must be a string, got {value!r}")
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path
    if not path.startswith("/"):
        path = "/" + path
    if path.strip("/") == "":
        # Django reads an unset or empty MEDIA_URL as "/" (the script prefix): nothing to
        # serve, and a catch-all route would swallow every URL the API does not answer.
        return None
    return path if path.endswith("/") else path + "/"


def _flag(name: str, default: bool) -> bool:
    value = getattr(settings, name, default)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(f"{name} must be True or False, got {value!r}")
    return value


def _cache_control(name: str, default: str | None) -> str | None:
    value = getattr(settings, name, default)
    if value is not None and (not isinstance(value, str) or not value.isprintable()):
        raise ImproperlyConfigured(f"{name} must be a header value string or None, got {value!r}")
    return value or None


def _root(setting: str) -> str | None:
    value = getattr(settings, setting, None)
    if not value:
        return None
    if not isinstance(value, str | os.PathLike):
        raise ImproperlyConfigured(f"{setting} must be a directory, got {value!r}")
    return os.path.realpath(os.fspath(value))


def file_mounts(*, static: bool = True, media: bool = True) -> list[FileMount]:
    """The mounts the settings ask for; ``static``/``media`` ``False`` (``runbolt
    --no-static``/``--no-media``) leave one out whatever the settings say."""
    mounts: list[FileMount] = []
    if static and _flag("BOLT_SERVE_STATIC", True):
        prefix = _prefix("STATIC_URL")
        finders = bool(settings.DEBUG) and _installed("django.contrib.staticfiles")
        root = None if finders else _root("STATIC_ROOT")
        if prefix is not None and (finders or root is not None):
            default = DEV_STATIC_CACHE_CONTROL if finders else DEFAULT_STATIC_CACHE_CONTROL
            mounts.append(
                FileMount(
                    prefix,
                    root,
                    _cache_control("BOLT_STATIC_CACHE_CONTROL", default),
                    _flag("BOLT_STATIC_FOLLOW_SYMLINKS", False),
                )
            )
    if media and _flag("BOLT_SERVE_MEDIA", True):
        prefix = _prefix("MEDIA_URL")
        root = _root("MEDIA_ROOT")
        if prefix is not None and root is not None:
            mounts.append(
                FileMount(
                    prefix,
                    root,
                    _cache_control("BOLT_MEDIA_CACHE_CONTROL", DEFAULT_MEDIA_CACHE_CONTROL),
                    _flag("BOLT_MEDIA_FOLLOW_SYMLINKS", False),
                    uploads=True,
                )
            )
    return mounts


def _installed(app: str) -> bool:
    from django.apps import apps

    return apps.is_installed(app)


def register_file_routes(api: BoltAPI, mounts: Sequence[FileMount]) -> list[str]:
    """Add ``GET {prefix}{path:path}`` for each mount to ``api``; the prefixes served.

    The routes are left out of the OpenAPI document and run no authentication or guards.
    """
    for mount in mounts:
        handler: Callable[[Request], Response] = mount.serve
        api._add(
            RouteDef(
                ("GET",),
                mount.prefix + "{path:path}",
                handler,
                response_model=Response,
                extra={"include_in_schema": False},
                auth=(),
                guards=(),
            )
        )
    return [mount.prefix for mount in mounts]
