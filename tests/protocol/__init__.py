"""The protocol tables: the parsing rules both engines implement, as data.

Each engine parses a request with its own code (the Rust engine: its head policy in front
of hyper, ``src/head_policy.rs``, and ``src/request.rs``; the Python engine: llhttp through
httptools, and ``bolt_py._protocol`` / ``bolt_py._request``). What they must agree on is
written down here once, one case per row, and ``tests/test_protocol_tables.py`` runs every
row against both engines' parsing without a socket (``tests/protocol/hooks.py``) and again
over a real one.

A new parsing rule gets a row here (``ENGINE_CONTRACT.md``, "Protocol tables").

The files (JSON; every row has an ``id`` and a ``note`` saying which rule or RFC it pins):

``query.json``
    ``target`` (a request target) → ``query`` and ``query_multi``, and ``query_string``
    when given.
``cookies.json``
    ``cookie`` (the values of the ``Cookie`` field lines, in order; none when empty) →
    ``cookies``.
``headers.json``
    ``lines`` (the header field lines of a ``GET /echo HTTP/1.1`` head) → ``headers``,
    ``accept_encoding`` and ``host``.
``heads.json``
    ``raw`` (a whole request: head, and body when it declares one) → ``expect``:
    ``"accepted"`` (handed to the app; then ``method``, ``path`` and ``query_string`` when
    given), the status the engine answers itself (400, 413, 414, 431, 501) or ``"closed"``
    (no answer at all), under the file's ``limits`` (``ServerConfig``'s defaults).

Requests are bytes: a text in a row is a string whose characters U+0000 to U+00FF stand for
one byte each (JSON's ``\\r\\n``, ``\\u00e9``), or a list of such strings and
``[string, count]`` pairs (the string repeated), concatenated — so a row at a limit stays
short.

A row the engines do not both pass today holds the correct value all the same, and says
which engine differs and why: ``"differs": {"python": "why"}``. Its test is an expected
failure (strict) for that engine only, so fixing the engine turns it into a failure that
asks for the entry to be removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict, cast

__all__ = ["TABLES", "Limits", "Row", "Table", "load", "text_bytes"]

HERE = Path(__file__).parent
TABLES = ("query", "cookies", "headers", "heads")


class Limits(TypedDict):
    """The ``ServerConfig`` limits a head is checked under."""

    max_uri_size: int
    max_header_size: int
    max_header_count: int
    max_body_size: int


@dataclass(frozen=True)
class Row:
    """One case of a table: its id, its fields, and the engines known to differ on it."""

    id: str
    fields: dict[str, Any]
    #: Engine name → why it does not give the expected value today.
    differs: dict[str, str]

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


@dataclass(frozen=True)
class Table:
    name: str
    rows: tuple[Row, ...]
    #: The limits the rows assume (``heads.json``); ``None``: ``ServerConfig``'s defaults.
    limits: Limits | None


def text_bytes(text: str | list[Any]) -> bytes:
    """A row's text as bytes (see the module docstring)."""
    if isinstance(text, str):
        return text.encode("latin-1")
    out = bytearray()
    for part in text:
        if isinstance(part, str):
            out += part.encode("latin-1")
        else:
            piece, count = part
            out += piece.encode("latin-1") * count
    return bytes(out)


def load(name: str) -> Table:
    """``tests/protocol/<name>.json``, checked for unique ids and a note on every row."""
    data = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    rows = []
    seen: set[str] = set()
    for raw in data["rows"]:
        fields = dict(raw)
        row_id = fields.pop("id")
        if row_id in seen:
            raise ValueError(f"{name}.json: duplicate id {row_id!r}")
        if not fields.get("note"):
            raise ValueError(f"{name}.json: row {row_id!r} has no note")
        seen.add(row_id)
        rows.append(Row(row_id, fields, fields.pop("differs", {})))
    limits = data.get("limits")
    return Table(name, tuple(rows), cast(Limits, limits) if limits is not None else None)
