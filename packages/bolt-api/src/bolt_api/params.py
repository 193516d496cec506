"""Parameter markers: say where a handler parameter comes from and how it is constrained.

Use a marker as the default (``q: str = Query("x", max_length=10)``) or inside
``Annotated`` (``q: Annotated[str, Query(max_length=10)] = "x"``). Without a marker the source
is inferred: a name in the path template is a path parameter, ``request``/``req`` is the
request object, a ``msgspec.Struct`` or dataclass is the JSON body, anything else is a query
parameter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "Body",
    "Cookie",
    "Depends",
    "File",
    "Form",
    "Header",
    "Param",
    "Path",
    "Query",
    "Source",
]

Source = Literal["path", "query", "header", "cookie", "body", "form", "file"]


class _Required:
    """Sentinel: the parameter has no default."""

    def __repr__(self) -> str:
        return "..."


REQUIRED: Any = _Required()


@dataclass(frozen=True, slots=True)
class Param:
    """What a marker records. Constraints are checked by msgspec (``msgspec.Meta``)."""

    source: Source
    default: Any = REQUIRED
    alias: str | None = None
    embed: bool = False
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    description: str | None = None
    example: Any = None
    deprecated: bool = False
    max_size: int | None = None
    min_size: int | None = None
    allowed_types: tuple[str, ...] | None = None
    max_files: int | None = None

    def constraints(self) -> dict[str, Any]:
        """The constraint keywords that are set, ready for ``msgspec.Meta(**...)``."""
        names = ("gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


def Query(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A query-string parameter."""
    return Param(
        "query",
        default,
        alias,
        False,
        gt,
        ge,
        lt,
        le,
        multiple_of,
        min_length,
        max_length,
        pattern,
        description,
        example,
        deprecated,
    )


def Path(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A path parameter (the name, or ``alias``, must appear in the route template)."""
    return Param(
        "path",
        default,
        alias,
        False,
        gt,
        ge,
        lt,
        le,
        multiple_of,
        min_length,
        max_length,
        pattern,
        description,
        example,
        deprecated,
    )


def Header(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A request header; without ``alias`` the name is ``x_token`` -> ``x-token``."""
    return Param(
        "header", default, alias, description=description, example=example, deprecated=deprecated
    )


def Cookie(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Any:
    """A cookie from the ``Cookie`` header."""
    return Param(
        "cookie", default, alias, description=description, example=example, deprecated=deprecated
    )


def Body(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    embed: bool = False,
    description: str | None = None,
    example: Any = None,
) -> Any:
    """The JSON body (``embed=True``: one key of a JSON object body)."""
    return Param("body", default, alias, embed, description=description, example=example)


def Form(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    description: str | None = None,
    example: Any = None,
) -> Any:
    """A field of a urlencoded or multipart form (or a Struct built from all of them)."""
    return Param(
        "form",
        default,
        alias,
        gt=gt,
        ge=ge,
        lt=lt,
        le=le,
        min_length=min_length,
        max_length=max_length,
        pattern=pattern,
        description=description,
        example=example,
    )


def File(
    default: Any = REQUIRED,
    *,
    alias: str | None = None,
    max_size: int | None = None,
    min_size: int | None = None,
    allowed_types: Sequence[str] | None = None,
    max_files: int | None = None,
    description: str | None = None,
) -> Any:
    """An uploaded file (``UploadFile``) or several (``list[UploadFile]``).

    ``allowed_types`` takes MIME types, with ``type/*`` wildcards; a violated limit is a 422.
    """
    if isinstance(allowed_types, str):
        raise TypeError("File(allowed_types=...) takes a list of MIME types, not a string")
    return Param(
        "file",
        default,
        alias,
        description=description,
        max_size=max_size,
        min_size=min_size,
        allowed_types=tuple(allowed_types) if allowed_types is not None else None,
        max_files=max_files,
    )


@dataclass(frozen=True, slots=True)
class Depends:
    """A dependency: the parameter receives ``dependency(...)``, whose own parameters are
    bound like a handler's. With ``use_cache`` one request calls it once, however many
    parameters depend on it. A generator dependency (``yield``) is torn down after the
    handler, also when the handler raised."""

    dependency: Callable[..., Any] | None = None
    use_cache: bool = True
