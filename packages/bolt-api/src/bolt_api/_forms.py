"""Parsing form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

Multipart parsing uses ``python-multipart`` (the parser Starlette uses) over the body the
engine already read, writing file parts into :class:`~bolt_api.datastructures.UploadFile`
objects that spool to disk past the threshold. Limits: at most ``MAX_PARTS`` parts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header

from .datastructures import DEFAULT_SPOOL_SIZE, UploadFile
from .exceptions import RequestValidationError

__all__ = ["MAX_PARTS", "FormData", "parse_form"]

MAX_PARTS = 100
#: Longest multipart boundary (RFC 2046 allows 70; python-multipart refuses beyond 256).
MAX_BOUNDARY = 256
#: python-multipart logs a warning for each malformed body before raising; the client already
#: gets the message in its 422, and one log line per hostile request is log flooding. This
#: logger is outside the logging tree and disabled, and only Bolt's own parsers use it.
_QUIET = logging.Logger("bolt_api._forms.multipart")
_QUIET.disabled = True


@dataclass(slots=True)
class FormData:
    """Text fields and files of one form, every value of repeated names kept in order."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[UploadFile]] = field(default_factory=dict)

    def close(self) -> None:
        for uploads in self.files.values():
            for upload in uploads:
                upload.close_sync()


def _form_error(msg: str) -> RequestValidationError:
    return RequestValidationError([{"type": "form_invalid", "loc": ["body"], "msg": msg}])


def parse_form(
    content_type: str | None, body: bytes, spool_size: int = DEFAULT_SPOOL_SIZE
) -> FormData:
    """Parse ``body`` by its ``Content-Type``; a wrong or broken form is a 422."""
    media, params = parse_options_header(content_type or "")
    form = FormData()
    if media == b"application/x-www-form-urlencoded" or (not media and not body):
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            form.fields.setdefault(name, []).append(value)
        return form
    if media != b"multipart/form-data":
        raise _form_error(
            "Expected a form body (application/x-www-form-urlencoded or "
            f"multipart/form-data), got {(content_type or 'none')!r}"
        )
    boundary = params.get(b"boundary")
    if not boundary:
        raise _form_error("multipart/form-data without a boundary")
    if len(boundary) > MAX_BOUNDARY:
        raise _form_error(f"multipart boundary too long: {len(boundary)} (max {MAX_BOUNDARY})")
    _parse_multipart(boundary, body, form, spool_size)
    return form


def _parse_multipart(boundary: bytes, body: bytes, form: FormData, spool_size: int) -> None:
    headers: dict[str, str] = {}
    header_field = bytearray()
    header_value = bytearray()
    current: dict[str, object] = {}
    parts = 0

    def on_part_begin() -> None:
        nonlocal parts
        parts += 1
        if parts > MAX_PARTS:
            raise _form_error(f"Too many form parts (max {MAX_PARTS})")
        headers.clear()
        current.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[header_field.decode("latin-1").lower()] = header_value.decode("latin-1")
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, options = parse_options_header(headers.get("content-disposition", ""))
        name = options.get(b"name")
        if name is None:
            raise _form_error("A form part has no name")
        current["name"] = name.decode("utf-8", "replace")
        filename = options.get(b"filename")
        if filename is not None:
            current["file"] = UploadFile(
                filename.decode("utf-8", "replace"),
                headers.get("content-type", "application/octet-stream"),
                headers=dict(headers),
                max_spool_size=spool_size,
            )
        else:
            current["data"] = bytearray()

    def on_part_data(data: bytes, start: int, end: int) -> None:
        upload = current.get("file")
        if isinstance(upload, UploadFile):
            upload.write_sync(data[start:end])
        else:
            buf = current["data"]
            assert isinstance(buf, bytearray)
            buf.extend(data[start:end])

    def on_part_end() -> None:
        name = str(current["name"])
        upload = current.get("file")
        if isinstance(upload, UploadFile):
            upload.file.seek(0)
            form.files.setdefault(name, []).append(upload)
        else:
            buf = current["data"]
            assert isinstance(buf, bytearray)
            form.fields.setdefault(name, []).append(buf.decode("utf-8", "replace"))

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.logger = _QUIET
    try:
        parser.write(body)
        parser.finalize()
    except RequestValidationError:
        form.close()
        raise
    except Exception as exc:  # python-multipart's own parse errors
        form.close()
        raise _form_error(f"Malformed multipart body: {exc}") from None
