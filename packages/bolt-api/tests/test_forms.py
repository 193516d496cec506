"""Tier one: form parsing and upload spooling, without a server."""

from __future__ import annotations

import pytest
from bolt_api._forms import MAX_PARTS, parse_form
from bolt_api.exceptions import RequestValidationError


def multipart(*parts: tuple[str, str | None, bytes], boundary: str = "XyZ") -> bytes:
    out = b""
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += (
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
            + ("Content-Type: text/plain\r\n" if filename else "")
            + "\r\n"
        ).encode()
        out += data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


CT = "multipart/form-data; boundary=XyZ"


def test_fields_and_files() -> None:
    form = parse_form(CT, multipart(("a", None, b"1"), ("a", None, b"2"), ("f", "x.txt", b"hi")))
    assert form.fields == {"a": ["1", "2"]}
    (upload,) = form.files["f"]
    assert (upload.filename, upload.content_type, upload.size) == ("x.txt", "text/plain", 2)
    assert upload.read_sync() == b"hi"
    form.close()
    assert upload.file.closed


def test_large_upload_spools_to_disk_and_is_removed() -> None:
    form = parse_form(CT, multipart(("f", "big.bin", b"x" * 5000)), spool_size=1024)
    (upload,) = form.files["f"]
    assert upload.rolled_to_disk
    assert upload.size == 5000
    name = upload.file.name  # a real temporary file now
    assert isinstance(name, (str, int))
    form.close()
    assert upload.file.closed


def test_too_many_parts() -> None:
    body = multipart(*[("a", None, b"x")] * (MAX_PARTS + 1))
    with pytest.raises(RequestValidationError, match="Too many form parts"):
        parse_form(CT, body)


def test_urlencoded_and_wrong_type() -> None:
    form = parse_form("application/x-www-form-urlencoded", b"a=1&b=x+y&a=%20")
    assert form.fields == {"a": ["1", " "], "b": ["x y"]}
    with pytest.raises(RequestValidationError):
        parse_form("application/json", b"{}")
    with pytest.raises(RequestValidationError):
        parse_form("multipart/form-data", b"--x")
