"""What a compiled parameter plan is: the data binding's two halves share.

:mod:`bolt_api._binding` builds a :class:`Plan` from a signature at registration;
:mod:`bolt_api._binders` builds the per-request function that fills it. Both read the types
here, and the few type helpers both need (sequences, grouped Structs, wire names).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin, get_type_hints

import msgspec

from ._forms import FormData, parse_form
from .datastructures import UploadFile
from .engine import Needs, Request
from .params import REQUIRED, Param

__all__ = [
    "DEFAULT_MAX_PARAM_LENGTH",
    "MAX_PARAM_LENGTH_RANGE",
    "Binder",
    "Binding",
    "BodyValue",
    "Converter",
    "Plan",
    "RequestScope",
    "group_fields",
    "is_struct",
    "is_upload",
    "sequence_item",
    "wire_key",
]

Converter = Callable[[Any], Any]


#: ``(request, scope, errors) -> kwargs``: binds one callable's own parameters.
Binder = Callable[[Request, "RequestScope | None", list[dict[str, Any]]], dict[str, Any]]


#: ``(request, errors) -> value``: the whole JSON body, or ``UNBOUND`` with an error appended.
BodyValue = Callable[[Request, list[dict[str, Any]]], Any]


_SEQUENCES = (list, tuple, set, frozenset)


#: Longest accepted path/query/header/cookie/form value, in characters, unless the API says
#: otherwise (``BoltAPI(max_param_length=...)``, Django's ``BOLT_MAX_PARAM_LENGTH``); 422 beyond.
DEFAULT_MAX_PARAM_LENGTH = 8192


#: The range ``max_param_length`` may take.
MAX_PARAM_LENGTH_RANGE = range(1, 1024 * 1024 + 1)


class RequestScope:
    """What one request shares between the handler's binding and its dependencies."""

    __slots__ = ("cache", "errors", "exits", "form", "form_failed")

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.cache: dict[Callable[..., Any], Any] = {}
        self.exits: list[Any] = []
        self.form: FormData | None = None
        self.form_failed = False

    def form_data(self, request: Request) -> FormData | None:
        """The request's form, parsed once; ``None`` after a parse error (recorded once), on
        every later call too: a body that did not parse reports that, not each field it
        would have held as missing."""
        if self.form is None and not self.form_failed:
            from .exceptions import RequestValidationError

            try:
                self.form = parse_form(request.headers.get("content-type"), request.body)
            except RequestValidationError as exc:
                self.errors.extend(exc.errors)
                self.form_failed = True
        return self.form

    def close(self) -> None:
        if self.form is not None:
            self.form.close()


@dataclass(frozen=True, slots=True)
class Binding:
    """How one parameter is filled.

    ``kind``: ``scalar`` (one string value, converted), ``multi`` (every value, as a list),
    ``group`` (a Struct built from several values of one source), ``body`` (the whole JSON
    body), ``embed`` (one key of a JSON object body), ``file``/``files`` (uploads),
    ``request`` (the request object), ``depends`` (a dependency's value).
    """

    name: str
    source: str
    key: str
    annotation: Any
    default: Any
    kind: str = "scalar"
    convert: Converter | None = None
    marker: Param | None = None
    dependency: Plan | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


@dataclass(eq=False, slots=True)
class Plan:
    """A compiled callable: its bindings, and how it must be called."""

    fn: Callable[..., Any]
    bindings: tuple[Binding, ...]
    needs: Needs
    is_async: bool = False
    is_generator: bool = False
    any_async: bool = False
    use_cache: bool = True
    has_scope: bool = False
    request_only: bool = False
    #: A ``def`` callable that may block, in a route on the event loop: run off the loop
    #: (:func:`bolt_api._lanes.offloaded`). Set by the pipeline, per route.
    offload: bool = False
    #: Longest accepted value of a path/query/header/cookie/form parameter (422 beyond).
    max_param_length: int = DEFAULT_MAX_PARAM_LENGTH
    #: Set when the only parameter is the whole JSON body and can be passed positionally:
    #: a route calls ``fn(value)``, no keyword dict built per request.
    body_value: BodyValue | None = field(default=None, repr=False)
    _bind: Binder = field(default=lambda request, scope, errors: {}, repr=False)

    @property
    def dependencies(self) -> tuple[Binding, ...]:
        return tuple(b for b in self.bindings if b.kind == "depends")

    def bind(
        self, request: Request, scope: RequestScope | None, errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Bind every non-dependency parameter; errors are appended to ``errors``."""
        return self._bind(request, scope, errors)

    @property
    def binder(self) -> Binder:
        """:meth:`bind` itself, for a route callable to call without the method layer."""
        return self._bind


def is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and (issubclass(tp, msgspec.Struct) or dataclasses.is_dataclass(tp))


def sequence_item(tp: Any) -> Any | None:
    """``T`` for ``list[T]``/``tuple[T, ...]``/``set[T]``/``frozenset[T]``, else ``None``."""
    origin = get_origin(tp)
    if tp in _SEQUENCES:
        return str
    if origin in _SEQUENCES:
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return args[0] if args else str
    return None


def is_upload(tp: Any) -> bool:
    return tp is UploadFile or sequence_item(tp) is UploadFile


def wire_key(source: str, name: str, alias: str | None) -> str:
    if source == "header":
        return (alias or name.replace("_", "-")).lower()
    return alias or name


def upload_fields(tp: Any) -> tuple[tuple[str, str, bool], ...]:
    """``(field name, wire key, is-list)`` for each ``UploadFile`` / ``list[UploadFile]`` field
    of a ``Form()`` Struct or dataclass: bound from the form's files, not its fields, so a
    struct can carry its uploads beside its text fields (as django-bolt's do)."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        typed = [(f.encode_name, f.type) for f in msgspec.structs.fields(tp)]
    else:
        hints = get_type_hints(tp)
        typed = [(f.name, hints.get(f.name, Any)) for f in dataclasses.fields(tp)]
    return tuple((name, name, ftype is not UploadFile) for name, ftype in typed if is_upload(ftype))


def group_fields(tp: Any, source: str) -> tuple[tuple[str, str, bool], ...]:
    """``(field name, wire key, is-sequence)`` for each field of a grouped Struct."""
    rows = []
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        for f in msgspec.structs.fields(tp):
            rows.append(
                (
                    f.encode_name,
                    wire_key(source, f.encode_name, None),
                    sequence_item(f.type) is not None,
                )
            )
    else:
        hints = get_type_hints(tp)
        for dc_field in dataclasses.fields(tp):
            rows.append(
                (
                    dc_field.name,
                    wire_key(source, dc_field.name, None),
                    sequence_item(hints.get(dc_field.name, Any)) is not None,
                )
            )
    return tuple(rows)
