"""File responses, from the one directory the app allows files to be served from.

The conformance suite hands every server it starts one directory for the whole session
(``BOLT_CATALOG_FILES``, see tests/conftest.py); this module writes ``small.txt`` and
``big.bin`` into it at import and allows only that directory (``/files/outside`` asks for
this module's own source, which must be refused).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

from bolt_api.files import File as FileContent
from bolt_api.files import FileResponse

from .app import api

__all__ = ["FILES_DIR", "file_inline", "file_named", "file_outside", "get_file_response"]


def _files_dir() -> str:
    """The directory the file routes serve from.

    The conformance suite hands every server it starts one directory for the whole session
    (``BOLT_CATALOG_FILES``, removed when the session ends); run alone, the app makes its own
    and removes it at exit, so no run leaves a directory behind in ``/tmp``.
    """
    given = os.environ.get("BOLT_CATALOG_FILES")
    if given:
        os.makedirs(given, exist_ok=True)
        return given
    made = tempfile.mkdtemp(prefix="bolt-catalog-")
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made


def _write_file(name: str, content: bytes) -> None:
    """Write one served file atomically (another server of the session may be reading it)."""
    target = os.path.join(FILES_DIR, name)
    if os.path.exists(target) and os.path.getsize(target) == len(content):
        return
    scratch = f"{target}.{os.getpid()}"
    with open(scratch, "wb") as out:
        out.write(content)
    os.replace(scratch, target)


FILES_DIR = _files_dir()
_write_file("small.txt", b"0123456789abcdefghij")
_write_file("big.bin", bytes(range(256)) * 1200)  # 307200 bytes
api.allowed_file_paths = [FILES_DIR]


@api.get("/files/get/{name}")
def get_file_response(name: str, download: bool = False) -> FileResponse:
    return FileResponse(os.path.join(FILES_DIR, name), filename=name if download else None)


@api.get("/files/named")
def file_named(filename: str) -> FileResponse:
    """small.txt downloaded under a name the client chose (issue 19: CR/LF in it)."""
    return FileResponse(os.path.join(FILES_DIR, "small.txt"), filename=filename)


@api.get("/files/outside")
def file_outside() -> FileResponse:
    return FileResponse(__file__)


@api.get("/files/inline")
def file_inline() -> FileContent:
    return FileContent(os.path.join(FILES_DIR, "small.txt"), filename="small.txt")
