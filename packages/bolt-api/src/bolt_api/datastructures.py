"""``UploadFile``: one uploaded file of a multipart form.

Small files stay in memory; a file larger than the spool threshold (1 MiB by default, setting
``BOLT_MEMORY_SPOOL_THRESHOLD``) rolls over to a temporary file on disk. Bolt closes every
upload after the request, which deletes the temporary file.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any

__all__ = ["DEFAULT_SPOOL_SIZE", "UploadFile"]

DEFAULT_SPOOL_SIZE = 1024 * 1024


class UploadFile:
    """An uploaded file: its name, content type, size, part headers and contents."""

    __slots__ = ("content_type", "file", "filename", "headers", "size")

    def __init__(
        self,
        filename: str | None,
        content_type: str = "application/octet-stream",
        size: int = 0,
        headers: dict[str, str] | None = None,
        file: IO[bytes] | None = None,
        max_spool_size: int = DEFAULT_SPOOL_SIZE,
    ) -> None:
        self.filename = filename
        self.content_type = content_type
        self.size = size
        self.headers = headers or {}
        # The file lives as long as the upload; Bolt closes it after the request.
        self.file: IO[bytes] = (
            file
            if file is not None
            else tempfile.SpooledTemporaryFile(  # noqa: SIM115
                max_size=max_spool_size
            )
        )

    @property
    def rolled_to_disk(self) -> bool:
        """True when the contents were spooled to a temporary file on disk."""
        return bool(getattr(self.file, "_rolled", False))

    def write_sync(self, data: bytes) -> None:
        self.file.write(data)
        self.size += len(data)

    def read_sync(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def close_sync(self) -> None:
        """Close (and so delete) the underlying file; safe to call twice."""
        if not self.file.closed:
            self.file.close()

    async def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all when negative)."""
        return self.file.read(size)

    async def seek(self, offset: int) -> None:
        self.file.seek(offset)

    async def write(self, data: bytes) -> None:
        self.write_sync(data)

    async def close(self) -> None:
        self.close_sync()

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, content_type={self.content_type!r}, "
            f"size={self.size})"
        )

    def __getstate__(self) -> Any:  # pragma: no cover - files are not picklable
        raise TypeError("UploadFile cannot be pickled")
