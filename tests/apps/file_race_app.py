"""File responses under an allowed root whose folder a test swaps for a symlink leading out
of it (issue 19: the check and the engine's open raced, and the outside file leaked).

``BOLT_TEST_ROOT``: the allowed root; the file served is ``<root>/dir/file.txt``. The raw
route ``/raw/wrong-identity`` speaks the engine contract directly: a ``FileBody`` whose
``identity`` is not the file's, which the engine must not send.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from bolt_api import BoltAPI
from bolt_api.engine import CompiledApp, FileBody, Needs, Request, ResponseTuple, RouteSpec
from bolt_api.responses import FileResponse

__all__ = ["api"]

ROOT = os.environ["BOLT_TEST_ROOT"]
FILE = os.path.join(ROOT, "dir", "file.txt")


def wrong_identity(request: Request) -> ResponseTuple:
    size = os.path.getsize(FILE)
    return 200, [("content-type", "text/plain")], FileBody(FILE, 0, size, (0, 0))


class RaceAPI(BoltAPI):
    """A ``BoltAPI`` whose compiled app also has the raw route above."""

    def compile(self, **options: Any) -> CompiledApp:
        app = super().compile(**options)
        raw = RouteSpec("GET", "/raw/wrong-identity", wrong_identity, False, Needs.NONE, "raw")
        return dataclasses.replace(app, routes=(*app.routes, raw))


api = RaceAPI(allowed_file_paths=[ROOT])


@api.get("/file")
def serve_file() -> FileResponse:
    return FileResponse(FILE)
