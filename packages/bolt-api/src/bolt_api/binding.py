"""Parameter binding: a handler's signature compiled once into ``request -> kwargs``.

:func:`compile_binder` reads the signature at registration, decides each parameter's source
(see :mod:`bolt_api.params`), builds its converter (msgspec, lax string coercion, marker
constraints as ``msgspec.Meta``) and reports conflicts as ``TypeError`` right away. At request
time the binder only looks values up and converts them, collecting *every* error into one
:class:`~bolt_api.exceptions.RequestValidationError`.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec

from .engine import Needs
from .exceptions import RequestValidationError
from .params import REQUIRED, Param

__all__ = ["Binder", "Binding", "compile_binder"]

Binder = Callable[[Any], dict[str, Any]]
Converter = Callable[[Any], Any]

_REQUEST_NAMES = frozenset({"request", "req"})
_BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_BOOL_WORDS = {"yes": True, "on": True, "no": False, "off": False}
_NEEDS = {"query": Needs.QUERY, "header": Needs.HEADERS, "cookie": Needs.COOKIES,
          "body": Needs.BODY, "path": Needs.NONE}


@dataclass(frozen=True, slots=True)
class Binding:
    """How one handler parameter is filled."""

    name: str
    source: str
    key: str
    annotation: Any
    default: Any
    convert: Converter | None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def _unwrap_annotated(tp: Any) -> tuple[Any, Param | None]:
    marker = None
    if get_origin(tp) is Annotated:
        base, *extras = get_args(tp)
        for extra in extras:
            if isinstance(extra, Param):
                marker = extra
        return base, marker
    return tp, None


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) < len(get_args(tp)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return tp, False


def _is_body_type(tp: Any) -> bool:
    return isinstance(tp, type) and (issubclass(tp, msgspec.Struct) or dataclasses.is_dataclass(tp))


def _scalar_converter(tp: Any, marker: Param | None) -> Converter | None:
    constraints = marker.constraints() if marker else {}
    target = Annotated[tp, msgspec.Meta(**constraints)] if constraints else tp
    if tp is str and not constraints:
        return None
    if tp is Any or tp is inspect.Parameter.empty:
        return None
    convert = msgspec.convert
    if tp is bool:
        def convert_bool(raw: Any) -> Any:
            word = _BOOL_WORDS.get(raw.lower()) if isinstance(raw, str) else None
            return word if word is not None else convert(raw, bool, strict=False)
        return convert_bool

    def convert_scalar(raw: Any) -> Any:
        return convert(raw, target, strict=False)

    return convert_scalar


_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _body_error(exc: msgspec.DecodeError, prefix: list[Any]) -> dict[str, Any]:
    message = str(exc)
    if not isinstance(exc, msgspec.ValidationError):
        return {"type": "json_invalid", "loc": prefix, "msg": message}
    loc = list(prefix)
    msg, sep, where = message.rpartition(" - at `")
    if sep:
        path = where.rstrip("`")
        for name, index in _PATH_TOKEN.findall(path[1:] if path.startswith("$") else path):
            loc.append(int(index) if index else name)
    else:
        msg = message
    kind = "missing" if msg.startswith("Object missing required field") else "validation_error"
    if kind == "missing":
        field = msg.rsplit("`", 2)[-2] if msg.count("`") >= 2 else None
        if field is not None:
            loc.append(field)
    return {"type": kind, "loc": loc, "msg": msg}


def _missing(source: str, key: str) -> dict[str, Any]:
    label = {"query": "query parameter", "path": "path parameter", "header": "header",
             "cookie": "cookie", "body": "request body"}[source]
    loc = ["body"] if source == "body" and key == "" else [source, key]
    return {"type": "missing", "loc": loc, "msg": f"Missing required {label}"
            + (f" '{key}'" if key else "")}


def _infer(name: str, tp: Any, marker: Param | None, path_names: frozenset[str]) -> str:
    if marker is not None:
        return marker.source
    if name in path_names:
        return "path"
    if name in _REQUEST_NAMES:
        return "request"
    if _is_body_type(tp):
        return "body"
    return "query"


def compile_binder(
    fn: Callable[..., Any], method: str, path_names: tuple[str, ...]
) -> tuple[Binder | None, tuple[Binding, ...], Needs, bool]:
    """Compile ``fn``'s parameters.

    Returns ``(binder, bindings, needs, request_only)``: ``binder`` is ``None`` when the
    handler takes no parameters; ``request_only`` is true when its single parameter is the
    request object (it is then called with the request directly).
    """
    sig = inspect.signature(fn)
    try:
        hints = get_type_hints(fn, include_extras=True)
    except Exception as exc:  # an unresolvable forward reference is the user's bug
        raise TypeError(f"cannot resolve the type hints of {fn.__qualname__}: {exc}") from exc
    names = frozenset(path_names)
    bindings: list[Binding] = []
    needs = Needs.NONE
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"{fn.__qualname__}: *args/**kwargs parameters cannot be bound")
        tp, marker = _unwrap_annotated(hints.get(p.name, Any))
        default = p.default
        if isinstance(default, Param):
            if marker is not None:
                raise TypeError(f"{fn.__qualname__}: parameter {p.name!r} has two markers")
            marker, default = default, default.default
        elif marker is not None and marker.default is not REQUIRED:
            raise TypeError(
                f"{fn.__qualname__}: give {p.name!r} its default after '=', not in the marker")
        if default is inspect.Parameter.empty:
            default = REQUIRED
        tp, optional = _unwrap_optional(tp)
        if optional and default is REQUIRED:
            default = None
        source = _infer(p.name, tp, marker, names)
        alias = marker.alias if marker and marker.alias else None
        if source == "request":
            bindings.append(Binding(p.name, "request", p.name, tp, REQUIRED, None))
            needs |= Needs.ALL
            continue
        if source == "path":
            key = alias or p.name
            if key not in names:
                raise TypeError(
                    f"{fn.__qualname__}: path parameter {key!r} is not in the route path")
            convert = _scalar_converter(tp, marker)
        elif source == "header":
            key = (alias or p.name.replace("_", "-")).lower()
            convert = _scalar_converter(tp, marker)
        elif source == "body":
            if method in _BODYLESS:
                raise TypeError(f"{fn.__qualname__}: {method} routes cannot take a body parameter "
                                f"({p.name!r})")
            key = alias or p.name
            convert = msgspec.json.Decoder(tp).decode if tp is not Any else msgspec.json.decode
            if marker is not None and marker.embed:
                key = "\0embed:" + key
        else:
            key = alias or p.name
            convert = _scalar_converter(tp, marker)
        needs |= _NEEDS[source]
        bindings.append(Binding(p.name, source, key, tp, default, convert))
    missing = names - {b.key for b in bindings if b.source == "path"}
    if missing and not any(b.source == "request" for b in bindings):
        raise TypeError(f"{fn.__qualname__}: the route path has parameters the handler does not "
                        f"take: {', '.join(sorted(missing))}")
    if not bindings:
        return None, (), needs, False
    if len(bindings) == 1 and bindings[0].source == "request":
        return None, tuple(bindings), needs, True
    return _make_binder(tuple(bindings)), tuple(bindings), needs, False


def _make_binder(bindings: tuple[Binding, ...]) -> Binder:
    body_bindings = [b for b in bindings if b.source == "body"]
    single = len(body_bindings) == 1 and not body_bindings[0].key.startswith("\0embed:")
    whole_body = body_bindings[0] if single else None
    embedded = [] if whole_body else [
        dataclasses.replace(b, key=b.key.removeprefix("\0embed:")) for b in body_bindings]
    scalars = [b for b in bindings if b.source not in ("body", "request")]
    request_names = [b.name for b in bindings if b.source == "request"]
    object_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])

    def bind(request: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        path_params = query = headers = cookies = None
        for b in scalars:
            src = b.source
            if src == "path":
                if path_params is None:
                    path_params = request.path_params or {}
                raw = path_params.get(b.key)
            elif src == "query":
                if query is None:
                    query = request.query
                raw = query.get(b.key)
            elif src == "header":
                if headers is None:
                    headers = request.headers
                raw = headers.get(b.key)
            else:
                if cookies is None:
                    cookies = request.cookies
                raw = cookies.get(b.key)
            if raw is None:
                if b.default is REQUIRED:
                    errors.append(_missing(src, b.key))
                else:
                    kwargs[b.name] = b.default
                continue
            if b.convert is None:
                kwargs[b.name] = raw
                continue
            try:
                kwargs[b.name] = b.convert(raw)
            except (msgspec.ValidationError, ValueError, TypeError) as exc:
                errors.append({"type": "validation_error", "loc": [src, b.key],
                               "msg": str(exc), "input": raw})
        if whole_body is not None:
            body = request.body
            if not body:
                if whole_body.default is REQUIRED:
                    errors.append(_missing("body", ""))
                else:
                    kwargs[whole_body.name] = whole_body.default
            else:
                try:
                    kwargs[whole_body.name] = whole_body.convert(body)  # type: ignore[misc]
                except msgspec.DecodeError as exc:
                    errors.append(_body_error(exc, ["body"]))
        elif embedded:
            _bind_embedded(request.body, embedded, object_decoder, kwargs, errors)
        for name in request_names:
            kwargs[name] = request
        if errors:
            raise RequestValidationError(errors)
        return kwargs

    return bind


def _bind_embedded(body: bytes, embedded: list[Binding], decoder: msgspec.json.Decoder[Any],
                   kwargs: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    fields: dict[str, msgspec.Raw] = {}
    if body:
        try:
            fields = decoder.decode(body)
        except msgspec.DecodeError as exc:
            errors.append(_body_error(exc, ["body"]))
            return
    for b in embedded:
        raw = fields.get(b.key)
        if raw is None:
            if b.default is REQUIRED:
                errors.append({"type": "missing", "loc": ["body", b.key],
                               "msg": f"Missing required body field '{b.key}'"})
            else:
                kwargs[b.name] = b.default
            continue
        try:
            kwargs[b.name] = b.convert(raw)  # type: ignore[misc]
        except msgspec.DecodeError as exc:
            errors.append(_body_error(exc, ["body", b.key]))
