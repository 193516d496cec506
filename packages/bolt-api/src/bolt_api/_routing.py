"""Path templates and the reference route matcher.

A user writes FastAPI-style templates (``/items/{item_id}``, ``/files/{rest:path}``); this
module parses them once into :class:`PathTemplate`, which gives the engine template syntax
(``{name}`` for a segment, ``{*name}`` for the rest) and a shape used to reject duplicates.

:class:`RouteMatcher` is the reference implementation of the matching rules the engine
contract states (per method; per segment literal before ``{name}`` before ``{*name}``;
parameters never match an empty segment). The Python engine uses it directly; the Rust
engine implements the same rules with ``matchit`` and the conformance suite holds the two
together. Matching runs on the raw (still percent-encoded) path; captured values are then
percent-decoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar
from urllib.parse import quote, unquote

__all__ = ["METHOD_ORDER", "PathTemplate", "RouteMatcher", "TrailingSlash", "join_paths"]

T = TypeVar("T")
TrailingSlash = Literal["strip", "append", "keep"]

#: The order methods are listed in an ``Allow`` header.
METHOD_ORDER: tuple[str, ...] = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?\}$")


def join_paths(prefix: str, path: str) -> str:
    """Prefix ``path`` (which starts with ``/``) with ``prefix``; ``""`` prefixes nothing."""
    prefix = prefix.rstrip("/")
    if prefix and not prefix.startswith("/"):
        prefix = "/" + prefix
    return (prefix + path) or "/"


@dataclass(frozen=True, slots=True)
class PathTemplate:
    """A parsed route path: its segments, parameter names and engine template."""

    source: str
    #: ``(kind, text)`` per segment; kind is ``"lit"``, ``"param"`` or ``"rest"``.
    segments: tuple[tuple[str, str], ...]

    @classmethod
    def parse(cls, path: str, trailing_slash: TrailingSlash = "strip") -> PathTemplate:
        """Parse and normalise ``path``; raise ``ValueError`` with the reason when invalid.
        ``""`` is the root, as it is under a prefix (``@api.get("")`` serves ``/``)."""
        path = path or "/"
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with '/'")
        if "?" in path or "#" in path:
            raise ValueError(f"route path {path!r} must not contain '?' or '#'")
        body = path.strip("/")
        segments: list[tuple[str, str]] = []
        names: set[str] = set()
        raw = body.split("/") if body else []
        for index, seg in enumerate(raw):
            if not seg:
                raise ValueError(f"route path {path!r} has an empty segment ('//')")
            if "{" in seg or "}" in seg:
                m = _PARAM.match(seg)
                if m is None:
                    raise ValueError(
                        f"route path {path!r}: a parameter must be a whole segment like "
                        f"'{{name}}' or '{{name:path}}', got {seg!r}"
                    )
                name, conv = m.group(1), m.group(2)
                if name in names:
                    raise ValueError(f"route path {path!r} repeats parameter {name!r}")
                names.add(name)
                if conv == "path":
                    if index != len(raw) - 1:
                        raise ValueError(f"route path {path!r}: '{{{name}:path}}' must be last")
                    segments.append(("rest", name))
                else:
                    segments.append(("param", name))
            else:
                segments.append(("lit", seg))
        slash = path.endswith("/") and len(path) > 1
        wants_slash = trailing_slash == "append" or (trailing_slash == "keep" and slash)
        if wants_slash and segments and segments[-1][0] != "rest":
            segments.append(("lit", ""))
        return cls(path, tuple(segments))

    def build(self, params: dict[str, object]) -> str:
        """This path with ``params`` filled in and percent-encoded (URL reversing)."""
        missing = [n for n in self.param_names if n not in params]
        if missing:
            raise ValueError(f"{self.source}: missing parameters {', '.join(missing)}")
        extra = set(params) - set(self.param_names)
        if extra:
            raise ValueError(f"{self.source}: unknown parameters {', '.join(sorted(extra))}")
        out = []
        for kind, text in self.segments:
            if kind == "lit":
                out.append(text)
            else:
                out.append(quote(str(params[text]), safe="" if kind == "param" else "/"))
        return "/" + "/".join(out)

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(text for kind, text in self.segments if kind != "lit")

    @property
    def engine_path(self) -> str:
        """The template in engine syntax: ``/items/{id}``, ``/files/{*rest}``."""
        out = []
        for kind, text in self.segments:
            out.append(
                text
                if kind == "lit"
                else "{" + text + "}"
                if kind == "param"
                else "{*" + text + "}"
            )
        return "/" + "/".join(out)

    @property
    def shape(self) -> str:
        """The template with parameter names erased: two routes of one shape conflict."""
        out = []
        for kind, text in self.segments:
            out.append(text if kind == "lit" else "{}" if kind == "param" else "{*}")
        return "/" + "/".join(out)

    @property
    def is_static(self) -> bool:
        return all(kind == "lit" for kind, _ in self.segments)

    def priority(self) -> tuple[int, ...]:
        rank = {"lit": 0, "param": 1, "rest": 2}
        return tuple(rank[kind] for kind, _ in self.segments)

    def regex(self) -> re.Pattern[str]:
        parts = []
        for kind, text in self.segments:
            if kind == "lit":
                parts.append(re.escape(text))
            elif kind == "param":
                parts.append(f"(?P<{text}>[^/]+)")
            else:
                parts.append(f"(?P<{text}>.+)")
        return re.compile("^/" + "/".join(parts) + "$")


class RouteMatcher(Generic[T]):
    """Match ``(method, raw path)`` to a value; the rules the engines must share."""

    __slots__ = ("_dynamic", "_methods_dynamic", "_static")

    def __init__(self, entries: Iterable[tuple[str, PathTemplate, T]]) -> None:
        self._static: dict[str, dict[str, T]] = {}
        dynamic: dict[str, list[tuple[tuple[int, ...], re.Pattern[str], T]]] = {}
        for method, template, value in entries:
            if template.is_static:
                self._static.setdefault(method, {})[template.engine_path] = value
            else:
                dynamic.setdefault(method, []).append(
                    (template.priority(), template.regex(), value)
                )
        self._dynamic: dict[str, list[tuple[re.Pattern[str], T]]] = {
            m: [(rx, v) for _, rx, v in sorted(rows, key=lambda r: r[0])]
            for m, rows in dynamic.items()
        }
        self._methods_dynamic = tuple(self._dynamic)

    def match(self, method: str, path: str) -> tuple[T, dict[str, str] | None] | None:
        """The value and decoded parameters for this method and path, or ``None``."""
        static = self._static.get(method)
        if static is not None:
            value = static.get(path)
            if value is not None:
                return value, None
        rows = self._dynamic.get(method)
        if rows is not None:
            for rx, value in rows:
                m = rx.match(path)
                if m is not None:
                    return value, {
                        k: unquote(v, errors="replace") for k, v in m.groupdict().items()
                    }
        return None

    def allowed(self, path: str) -> tuple[str, ...] | None:
        """Every method some route answers for ``path`` (``None`` when there is none)."""
        found = [m for m, table in self._static.items() if path in table]
        for m, rows in self._dynamic.items():
            if m not in found and any(rx.match(path) for rx, _ in rows):
                found.append(m)
        return tuple(found) if found else None
