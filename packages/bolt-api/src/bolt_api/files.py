"""File responses: ``FileResponse`` (streamed from disk by the engine) and ``File`` (in memory).

bolt-api decides what a file request means — the allowed-paths check, ``Content-Type``,
``Last-Modified``/``ETag``, conditional requests (304), single byte ranges (206, 416) — and
hands the engine a :class:`~bolt_api.engine.FileBody` (path, offset, length). The engine copies
those bytes straight from disk, so a large file never passes through Python.
"""

from __future__ import annotations

import errno
import mimetypes
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import quote

from ._response import JSONEncode, Response
from .engine import FileBody, Request, ResponseTuple
from .exceptions import HTTPException

__all__ = ["ANY_FILE", "File", "FileAccess", "FileResponse", "PendingFile"]


@dataclass(frozen=True, slots=True)
class FileAccess:
    """Which files ``FileResponse``/``File`` may serve: those under ``roots`` (``None``: any).

    An API's ``allowed_file_paths`` (Django: ``BOLT_ALLOWED_FILE_PATHS``), made into this
    object by ``BoltAPI.compile()`` and checked when a file response is resolved.
    """

    roots: tuple[str, ...] | None = None

    @classmethod
    def under(cls, paths: Sequence[str | os.PathLike[str]] | None) -> FileAccess:
        return cls(None if paths is None else tuple(os.path.realpath(p) for p in paths))

    def check(self, path: str | os.PathLike[str]) -> str:
        """The real path of ``path``; ``PermissionError`` (403) when it is not allowed, 400
        when it holds a NUL byte (no file has one; the OS would refuse it with ValueError)."""
        if "\0" in os.fspath(path):
            raise HTTPException(400, "Invalid file path: it contains a NUL byte")
        real = os.path.realpath(path)
        if not self._inside(real):
            raise PermissionError(f"{path!s} is outside the allowed file paths")
        return real

    def _inside(self, real: str) -> bool:
        roots = self.roots
        return roots is None or any(
            real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots
        )

    def open(self, path: str | os.PathLike[str]) -> tuple[str, int]:
        """:meth:`check` ``path``, then open it for reading: ``(real path, descriptor)``.

        The check and the open are two steps, and a folder on the way can be swapped for a
        symlink in between; so where the paths are restricted, the file *opened* is checked
        again — its path as the kernel knows it (``/proc/self/fd``) must be inside a root.
        The caller fstat()s the descriptor and hands the engine its identity
        (:attr:`FileBody.identity`), so the engine's own later open is held to this file.
        """
        real = self.check(path)
        try:
            # not following a last component swapped for a symlink; not waiting on a FIFO
            fd = os.open(real, _OPEN_FLAGS)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise PermissionError(f"{path!s} is outside the allowed file paths") from None
            raise
        if self.roots is not None:
            try:
                opened = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:  # no /proc (not Linux): the realpath check stands alone
                opened = real
            if not self._inside(opened):
                os.close(fd)
                raise PermissionError(f"{path!s} is outside the allowed file paths")
        return real, fd


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

#: No restriction: what an API without ``allowed_file_paths`` serves.
ANY_FILE = FileAccess()


def _disposition(filename: str) -> str:
    # Control characters (CR, LF, NUL) never go into the header raw: filename* encodes them.
    if (
        filename.isascii()
        and filename.isprintable()
        and '"' not in filename
        and "\\" not in filename
    ):
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*=utf-8''{quote(filename)}"


def _media_type(path: str, media_type: str | None) -> str:
    if media_type:
        return media_type
    guessed, _ = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


class PendingFile:
    """The body of a rendered ``FileResponse`` or ``File`` until the request is known:
    :meth:`resolve` checks the path against the API's :class:`FileAccess`, then answers
    conditional and range requests (or, for ``File``, reads the bytes)."""

    __slots__ = ("path", "whole")

    def __init__(self, path: str, whole: bool = False) -> None:
        self.path = path
        #: ``File``: the bytes are read into memory and sent as the body.
        self.whole = whole

    def resolve(
        self, request: Request, response: ResponseTuple, access: FileAccess = ANY_FILE
    ) -> ResponseTuple:
        """The response for ``request``: 304, 206, 416 or 200 with a ``FileBody``."""
        path, fd = access.open(self.path)
        with open(fd, "rb") as f:  # closes fd
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise FileNotFoundError(self.path)
            if self.whole:
                return response[0], response[1], f.read()
        status, headers, _ = response
        size = st.st_size
        etag = f'"{st.st_mtime_ns:x}-{size:x}"'
        last_modified = formatdate(st.st_mtime, usegmt=True)
        meta = [
            *headers,
            ("last-modified", last_modified),
            ("etag", etag),
            ("accept-ranges", "bytes"),
        ]
        req_headers = request.headers
        if status == 200 and _not_modified(req_headers, etag, st.st_mtime):
            return 304, [h for h in meta if h[0] != "content-type"], b""
        offset, length = 0, size
        range_header = req_headers.get("range")
        if status == 200 and range_header and _if_range_ok(req_headers, etag, last_modified):
            parsed = _parse_range(range_header, size)
            if parsed is None:
                return 416, [("content-range", f"bytes */{size}")], b""
            if parsed != (0, size):
                offset, length = parsed
                status = 206
                meta.append(("content-range", f"bytes {offset}-{offset + length - 1}/{size}"))
        return status, meta, FileBody(path, offset, length, (st.st_dev, st.st_ino))


def _not_modified(headers: Mapping[str, str], etag: str, mtime: float) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = headers.get("if-modified-since")
    if ims:
        try:
            return int(mtime) <= int(parsedate_to_datetime(ims).timestamp())
        except (TypeError, ValueError):
            return False
    return False


def _if_range_ok(headers: Mapping[str, str], etag: str, last_modified: str) -> bool:
    if_range = headers.get("if-range")
    return if_range is None or if_range.strip() in (etag, last_modified)


def _parse_range(value: str, size: int) -> tuple[int, int] | None:
    """``(offset, length)`` for one ``bytes=`` range; the whole file for forms not served
    (several ranges, other units); ``None`` when unsatisfiable (416)."""
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return 0, size
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return 0, size
    try:
        if first == "":
            suffix = int(last)
            if suffix <= 0:
                return None
            start = max(size - suffix, 0)
            end = size - 1
        else:
            start = int(first)
            end = int(last) if last else size - 1
    except ValueError:
        return 0, size
    if start < 0 or start >= size or end < start:
        return None
    end = min(end, size - 1)
    return start, end - start + 1


class FileResponse(Response):
    """A file streamed from disk by the engine (HEAD, ranges, conditional requests)."""

    __slots__ = ("filename", "path")

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        media_type: str | None = None,
        filename: str | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.filename = filename
        extra = dict(headers or {})
        if filename:
            extra.setdefault("content-disposition", _disposition(filename))
        super().__init__(None, status_code, extra, _media_type(self.path, media_type))

    def render(self, encode_json: JSONEncode) -> ResponseTuple:
        return self.status_code, self._header_list(), PendingFile(self.path)  # type: ignore[return-value]


class File(Response):
    """A (small) file read into memory and sent whole, optionally as an attachment.

    The file is read when the response is resolved, after the allowed-paths check.
    """

    __slots__ = ("path",)

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        media_type: str | None = None,
        filename: str | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        fs_path = os.fspath(path)
        self.path = fs_path
        extra = dict(headers or {})
        if filename:
            extra.setdefault("content-disposition", _disposition(filename))
        super().__init__(None, status_code, extra, _media_type(fs_path, media_type))

    def render(self, encode_json: JSONEncode) -> ResponseTuple:
        body = PendingFile(self.path, whole=True)
        return self.status_code, self._header_list(), body  # type: ignore[return-value]
