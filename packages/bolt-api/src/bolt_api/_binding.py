"""Parameter binding: a callable's signature compiled once into a :class:`Plan`.

:func:`compile_plan` reads the signature at registration, decides each parameter's source
(see :mod:`bolt_api.params`), builds its converter (msgspec, lax string coercion, marker
constraints as ``msgspec.Meta``) and reports conflicts as ``TypeError`` right away. At request
time :meth:`Plan.bind` only looks values up and converts them, appending *every* error to one
list, which becomes a single 422. Dependencies (``Depends``) are plans of their own, solved by
:mod:`bolt_api._dependencies`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec

from ._coroutines import never_suspends
from ._forms import FormData, parse_form
from .datastructures import UploadFile
from .engine import Needs, Request
from .params import REQUIRED, Depends, Param

__all__ = [
    "DEFAULT_MAX_PARAM_LENGTH",
    "MAX_PARAM_LENGTH_RANGE",
    "UNBOUND",
    "Binder",
    "Binding",
    "BodyValue",
    "Plan",
    "RequestScope",
    "body_value",
    "compile_plan",
    "limited",
]

Converter = Callable[[Any], Any]
#: ``(request, scope, errors) -> kwargs``: binds one callable's own parameters.
Binder = Callable[[Request, "RequestScope | None", list[dict[str, Any]]], dict[str, Any]]
#: ``(request, errors) -> value``: the whole JSON body, or ``UNBOUND`` with an error appended.
BodyValue = Callable[[Request, list[dict[str, Any]]], Any]

_REQUEST_NAMES = frozenset({"request", "req"})
_BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_BOOL_WORDS = {"yes": True, "on": True, "no": False, "off": False}
_NEEDS = {
    "query": Needs.QUERY,
    "header": Needs.HEADERS,
    "cookie": Needs.COOKIES,
    "body": Needs.BODY,
    "path": Needs.NONE,
    "form": Needs.BODY | Needs.HEADERS,
    "file": Needs.BODY | Needs.HEADERS,
}
_LABELS = {
    "query": "query parameter",
    "path": "path parameter",
    "header": "header",
    "cookie": "cookie",
    "body": "request body",
    "form": "form field",
    "file": "file",
}
_SEQUENCES = (list, tuple, set, frozenset)


#: Longest accepted path/query/header/cookie/form value, in characters, unless the API says
#: otherwise (``BoltAPI(max_param_length=...)``, Django's ``BOLT_MAX_PARAM_LENGTH``); 422 beyond.
DEFAULT_MAX_PARAM_LENGTH = 8192
#: The range ``max_param_length`` may take.
MAX_PARAM_LENGTH_RANGE = range(1, 1024 * 1024 + 1)


class RequestScope:
    """What one request shares between the handler's binding and its dependencies."""

    __slots__ = ("cache", "errors", "exits", "form")

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.cache: dict[Callable[..., Any], Any] = {}
        self.exits: list[Any] = []
        self.form: FormData | None = None

    def form_data(self, request: Request) -> FormData | None:
        """The request's form, parsed once; ``None`` after a parse error (recorded)."""
        if self.form is None:
            from .exceptions import RequestValidationError

            try:
                self.form = parse_form(request.headers.get("content-type"), request.body)
            except RequestValidationError as exc:
                self.errors.extend(exc.errors)
                self.form = FormData()
                return None
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


def _unwrap_annotated(tp: Any) -> tuple[Any, Param | Depends | None]:
    marker = None
    if get_origin(tp) is Annotated:
        base, *extras = get_args(tp)
        for extra in extras:
            if isinstance(extra, (Param, Depends)):
                marker = extra
        return base, marker
    return tp, None


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    if get_origin(tp) in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) < len(get_args(tp)):
            return (args[0] if len(args) == 1 else Union[tuple(args)]), True  # noqa: UP007
    return tp, False


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and (issubclass(tp, msgspec.Struct) or dataclasses.is_dataclass(tp))


def _sequence_item(tp: Any) -> Any | None:
    """``T`` for ``list[T]``/``tuple[T, ...]``/``set[T]``/``frozenset[T]``, else ``None``."""
    origin = get_origin(tp)
    if tp in _SEQUENCES:
        return str
    if origin in _SEQUENCES:
        args = [a for a in get_args(tp) if a is not Ellipsis]
        return args[0] if args else str
    return None


def _is_upload(tp: Any) -> bool:
    return tp is UploadFile or _sequence_item(tp) is UploadFile


def _lax(tp: Any, marker: Param | None) -> Converter | None:
    """The converter for a string value (or a list of them) to ``tp``."""
    constraints = marker.constraints() if marker else {}
    if tp in (str, Any, inspect.Parameter.empty) and not constraints:
        return None
    target = Annotated[tp, msgspec.Meta(**constraints)] if constraints else tp
    convert = msgspec.convert
    if tp is bool:

        def convert_bool(raw: Any) -> Any:
            word = _BOOL_WORDS.get(raw.lower()) if isinstance(raw, str) else None
            return word if word is not None else convert(raw, bool, strict=False)

        return convert_bool
    item = _sequence_item(tp)
    if item is bool:

        def convert_bools(raw: list[str]) -> Any:
            words = [_BOOL_WORDS.get(v.lower(), v) for v in raw]
            return convert(words, target, strict=False)

        return convert_bools

    def convert_lax(raw: Any) -> Any:
        return convert(raw, target, strict=False)

    return convert_lax


_PATH_TOKEN = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _validation_error(
    exc: msgspec.DecodeError, prefix: list[Any], raw: Any = None
) -> dict[str, Any]:
    """A msgspec error as one entry of the 422 list, its ``$.a[0].b`` path turned into loc."""
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
    if kind == "missing" and msg.count("`") >= 2:
        loc.append(msg.rsplit("`", 2)[-2])
    error: dict[str, Any] = {"type": kind, "loc": loc, "msg": msg}
    if raw is not None and not sep and kind != "missing":
        error["input"] = raw
    return error


def _missing(source: str, key: str) -> dict[str, Any]:
    loc = ["body"] if source == "body" and key == "" else [source, key]
    return {
        "type": "missing",
        "loc": loc,
        "msg": f"Missing required {_LABELS[source]}" + (f" '{key}'" if key else ""),
    }


def _too_long(source: str, key: str, value: str, limit: int) -> dict[str, Any]:
    return {
        "type": "string_too_long",
        "loc": [source, key],
        "msg": f"Parameter too long: {len(value)} characters (max {limit})",
    }


def _infer(name: str, tp: Any, marker: Param | None, path_names: frozenset[str]) -> str:
    if marker is not None:
        return marker.source
    if name in path_names:
        return "path"
    if name in _REQUEST_NAMES:
        return "request"
    if _is_upload(tp):
        return "file"
    if _is_struct(tp):
        return "body"
    return "query"


def _wire_key(source: str, name: str, alias: str | None) -> str:
    if source == "header":
        return (alias or name.replace("_", "-")).lower()
    return alias or name


def _group_fields(tp: Any, source: str) -> tuple[tuple[str, str, bool], ...]:
    """``(field name, wire key, is-sequence)`` for each field of a grouped Struct."""
    rows = []
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        for f in msgspec.structs.fields(tp):
            rows.append(
                (
                    f.encode_name,
                    _wire_key(source, f.encode_name, None),
                    _sequence_item(f.type) is not None,
                )
            )
    else:
        hints = get_type_hints(tp)
        for dc_field in dataclasses.fields(tp):
            rows.append(
                (
                    dc_field.name,
                    _wire_key(source, dc_field.name, None),
                    _sequence_item(hints.get(dc_field.name, Any)) is not None,
                )
            )
    return tuple(rows)


def compile_plan(
    fn: Callable[..., Any],
    method: str,
    path_names: tuple[str, ...],
    *,
    use_cache: bool = True,
    _stack: tuple[Callable[..., Any], ...] = (),
) -> Plan:
    """Compile ``fn`` (a handler or a dependency) and, recursively, its dependencies."""
    qualname = getattr(fn, "__qualname__", repr(fn))
    if fn in _stack:
        raise TypeError(f"{qualname}: dependency cycle")
    if inspect.isclass(fn):
        target: Any = fn.__init__
    elif inspect.isroutine(fn) or isinstance(fn, functools.partial):
        target = fn
    else:
        target = type(fn).__call__
    sig = inspect.signature(fn)
    try:
        hints = get_type_hints(target, include_extras=True)
    except Exception as exc:  # an unresolvable forward reference is the user's bug
        raise TypeError(f"cannot resolve the type hints of {qualname}: {exc}") from exc
    names = frozenset(path_names)
    bindings: list[Binding] = []
    needs = Needs.NONE
    any_async = False
    for p in sig.parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            raise TypeError(f"{qualname}: *args/**kwargs parameters cannot be bound")
        tp, marker = _unwrap_annotated(hints.get(p.name, Any))
        default = p.default
        if isinstance(default, (Param, Depends)):
            if marker is not None:
                raise TypeError(f"{qualname}: parameter {p.name!r} has two markers")
            marker = default
            default = default.default if isinstance(default, Param) else REQUIRED
        elif isinstance(marker, Param) and marker.default is not REQUIRED:
            raise TypeError(f"{qualname}: give {p.name!r} its default after '=', not in the marker")
        if default is inspect.Parameter.empty:
            default = REQUIRED
        if isinstance(marker, Depends):
            dep_fn = marker.dependency or (tp if callable(tp) else None)
            if dep_fn is None:
                raise TypeError(f"{qualname}: Depends() on {p.name!r} needs a callable")
            sub = compile_plan(
                dep_fn, method, path_names, use_cache=marker.use_cache, _stack=(*_stack, fn)
            )
            needs |= sub.needs
            any_async = any_async or sub.any_async
            bindings.append(
                Binding(p.name, "depends", p.name, tp, REQUIRED, "depends", dependency=sub)
            )
            continue
        tp, optional = _unwrap_optional(tp)
        if optional and default is REQUIRED:
            default = None
        source = _infer(p.name, tp, marker, names)
        alias = marker.alias if marker and marker.alias else None
        if source == "request":
            bindings.append(Binding(p.name, "request", p.name, tp, REQUIRED, "request"))
            needs |= Needs.ALL
            continue
        key = _wire_key(source, p.name, alias)
        binding = _compile_one(qualname, p.name, source, key, tp, default, marker, method, names)
        needs |= _NEEDS[source]
        bindings.append(binding)
    own_path = {b.key for b in bindings if b.source == "path"}
    missing = names - own_path
    takes_request = any(b.kind == "request" for b in bindings)
    if missing and not _stack and not takes_request and not _deps_cover(bindings, missing):
        raise TypeError(
            f"{qualname}: the route path has parameters the handler does not "
            f"take: {', '.join(sorted(missing))}"
        )
    _check_conflicts(qualname, bindings)
    unwrapped = inspect.unwrap(fn)
    is_gen = inspect.isgeneratorfunction(unwrapped) or inspect.isasyncgenfunction(unwrapped)
    is_async = inspect.iscoroutinefunction(unwrapped) or inspect.isasyncgenfunction(unwrapped)
    if is_async and _stack:
        is_async = inspect.isasyncgenfunction(unwrapped) or not never_suspends(fn)
    has_scope = any(b.kind in ("depends", "file", "files") or b.source == "form" for b in bindings)
    plan = Plan(
        fn,
        tuple(bindings),
        needs,
        is_async=is_async,
        is_generator=is_gen,
        any_async=any_async or (is_async and bool(_stack)),
        use_cache=use_cache,
        has_scope=has_scope,
        request_only=len(bindings) == 1 and bindings[0].kind == "request",
    )
    plan._bind = _make_binder(_own(plan.bindings), plan.max_param_length)
    first = next(iter(sig.parameters.values()), None)
    if (
        len(bindings) == 1
        and bindings[0].kind == "body"
        and first is not None
        and first.kind in (first.POSITIONAL_ONLY, first.POSITIONAL_OR_KEYWORD)
    ):
        plan.body_value = body_value(bindings[0])
    return plan


def _own(bindings: tuple[Binding, ...]) -> tuple[Binding, ...]:
    """The bindings a plan's own binder fills (dependencies are solved separately)."""
    return tuple(b for b in bindings if b.kind != "depends")


def limited(plan: Plan, max_param_length: int) -> Plan:
    """``plan`` (and its dependencies' plans) refusing values over ``max_param_length``.

    Registration compiles plans with the default; ``BoltAPI.compile()`` asks for the API's
    own limit, which Django's settings may still change after the routes are declared.
    """
    if plan.max_param_length == max_param_length:
        return plan
    bindings = tuple(
        b
        if b.dependency is None
        else dataclasses.replace(b, dependency=limited(b.dependency, max_param_length))
        for b in plan.bindings
    )
    return dataclasses.replace(
        plan,
        bindings=bindings,
        max_param_length=max_param_length,
        _bind=_make_binder(_own(bindings), max_param_length),
    )


def _deps_cover(bindings: list[Binding], missing: frozenset[str] | set[str]) -> bool:
    covered: set[str] = set()
    for b in bindings:
        if b.dependency is not None:
            covered |= {x.key for x in b.dependency.bindings if x.source == "path"}
            covered |= {
                x.key
                for d in b.dependency.dependencies
                if d.dependency
                for x in d.dependency.bindings
                if x.source == "path"
            }
    return set(missing) <= covered


def _check_conflicts(qualname: str, bindings: list[Binding]) -> None:
    seen: dict[tuple[str, str], Any] = {}
    for b in bindings:
        if b.kind in ("request", "depends", "group", "body"):
            continue
        wire = (b.source, b.key)
        if wire in seen and seen[wire] != b.annotation:
            raise TypeError(
                f"{qualname}: {b.source} {b.key!r} is bound twice with different "
                f"types ({seen[wire]!r} and {b.annotation!r})"
            )
        seen[wire] = b.annotation


def _compile_one(
    qualname: str,
    name: str,
    source: str,
    key: str,
    tp: Any,
    default: Any,
    marker: Param | Depends | None,
    method: str,
    path_names: frozenset[str],
) -> Binding:
    param = marker if isinstance(marker, Param) else None
    if source in ("body", "form", "file") and method in _BODYLESS:
        raise TypeError(f"{qualname}: {method} routes cannot take a body parameter ({name!r})")
    if source == "path":
        if key not in path_names:
            raise TypeError(f"{qualname}: path parameter {key!r} is not in the route path")
        return Binding(name, source, key, tp, default, "scalar", _lax(tp, param), param)
    if source == "file":
        if not _is_upload(tp):
            raise TypeError(
                f"{qualname}: File() parameter {name!r} must be UploadFile or list[UploadFile]"
            )
        kind = "file" if tp is UploadFile else "files"
        return Binding(name, source, key, tp, default, kind, None, param)
    if source == "body":
        if param is not None and param.embed:
            decoder = msgspec.json.Decoder(tp).decode if tp is not Any else msgspec.json.decode
            return Binding(name, source, key, tp, default, "embed", decoder, param)
        decoder = msgspec.json.Decoder(tp).decode if tp is not Any else msgspec.json.decode
        return Binding(name, source, key, tp, default, "body", decoder, param)
    # query / header / cookie / form
    if _is_struct(tp):
        if source not in ("query", "header", "cookie", "form"):
            raise TypeError(f"{qualname}: a Struct parameter cannot come from {source}")

        def convert_group(values: dict[str, Any], tp: Any = tp) -> Any:
            return msgspec.convert(values, tp, strict=False)

        return Binding(name, source, key, tp, default, "group", convert_group, param)
    if _sequence_item(tp) is not None:
        if source in ("header", "cookie"):
            raise TypeError(f"{qualname}: {source} {name!r} cannot be a sequence")
        return Binding(name, source, key, tp, default, "multi", _lax(tp, param), param)
    return Binding(name, source, key, tp, default, "scalar", _lax(tp, param), param)


def _source_maps(request: Request, scope: RequestScope | None, source: str, multi: bool) -> Any:
    if source == "query":
        return request.query_multi if multi else request.query
    if source == "header":
        return request.headers
    if source == "cookie":
        return request.cookies
    if source == "path":
        return request.path_params or {}
    if scope is None:  # pragma: no cover - plans with forms always get a scope
        raise RuntimeError("form binding without a request scope")
    form = scope.form_data(request)
    if form is None:
        return None
    return form.fields if multi else {k: v[-1] for k, v in form.fields.items()}


def _make_binder(bindings: tuple[Binding, ...], limit: int) -> Binder:
    """The per-request function for ``bindings`` (one closure, all decisions made here)."""
    bodies = [b for b in bindings if b.kind == "body"]
    embedded = [b for b in bindings if b.kind == "embed"]
    whole_body = bodies[0] if len(bodies) == 1 and not embedded else None
    if whole_body is None:
        embedded += bodies
    scalars = [b for b in bindings if b.kind in ("scalar", "multi", "group")]
    uploads = [b for b in bindings if b.kind in ("file", "files")]
    request_names = [b.name for b in bindings if b.kind == "request"]
    object_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])
    groups = {b.name: _group_fields(b.annotation, b.source) for b in scalars if b.kind == "group"}
    bind_whole_body = None if whole_body is None else _body_binder(whole_body)
    if bind_whole_body is not None and len(bindings) == 1:
        return bind_whole_body

    def bind(
        request: Request, scope: RequestScope | None, errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        maps: dict[tuple[str, bool], Any] = {}
        for b in scalars:
            src, kind = b.source, b.kind
            multi = kind in ("multi", "group") and src in ("query", "form")
            mkey = (src, multi)
            mapping = maps.get(mkey)
            if mapping is None:
                mapping = maps[mkey] = _source_maps(request, scope, src, multi)
                if mapping is None:  # the form did not parse; its error is recorded
                    continue
            if kind == "group":
                raw: Any = {}
                for field_name, wire, is_seq in groups[b.name]:
                    value = mapping.get(wire)
                    if value is not None:
                        raw[field_name] = (value if is_seq else value[-1]) if multi else value
                if not raw and b.default is not REQUIRED:
                    kwargs[b.name] = b.default
                    continue
            else:
                raw = mapping.get(b.key)
                if raw is None:
                    if b.default is REQUIRED:
                        errors.append(_missing(src, b.key))
                    else:
                        kwargs[b.name] = b.default
                    continue
                if kind == "scalar":
                    if len(raw) > limit:
                        errors.append(_too_long(src, b.key, raw, limit))
                        continue
                elif any(len(v) > limit for v in raw):
                    errors.append(_too_long(src, b.key, max(raw, key=len), limit))
                    continue
            if b.convert is None:
                kwargs[b.name] = raw if kind != "multi" else list(raw)
                continue
            try:
                kwargs[b.name] = b.convert(raw)
            except msgspec.ValidationError as exc:
                if kind == "group":
                    errors.append(_validation_error(exc, [src]))
                else:
                    error = {
                        "type": "validation_error",
                        "loc": [src, b.key],
                        "msg": str(exc),
                        "input": raw,
                    }
                    errors.append(error)
            except (ValueError, TypeError) as exc:
                errors.append(
                    {"type": "validation_error", "loc": [src, b.key], "msg": str(exc), "input": raw}
                )
        if bind_whole_body is not None:
            kwargs.update(bind_whole_body(request, scope, errors))
        elif embedded:
            _bind_embedded(request.body, embedded, object_decoder, kwargs, errors)
        if uploads and scope is not None:
            form = scope.form_data(request)
            if form is not None:
                for b in uploads:
                    _bind_upload(b, form, kwargs, errors)
        for name in request_names:
            kwargs[name] = request
        return kwargs

    return bind


#: What a :data:`BodyValue` returns when the body did not bind (its error is recorded).
UNBOUND: Any = object()


def body_value(binding: Binding) -> BodyValue:
    """The value of the whole JSON body for ``binding``, or :data:`UNBOUND` with the error
    appended: the one set of body rules, for :func:`_body_binder` and for a route that
    passes the body positionally (``Plan.body_value``)."""
    decode, default = binding.convert, binding.default
    assert decode is not None

    def value(request: Request, errors: list[dict[str, Any]]) -> Any:
        body = request.body
        if not body:
            if default is REQUIRED:
                errors.append(_missing("body", ""))
                return UNBOUND
            return default
        try:
            return decode(body)
        except msgspec.DecodeError as exc:
            errors.append(_validation_error(exc, ["body"]))
            return UNBOUND

    return value


def _body_binder(binding: Binding) -> Binder:
    """Binds the whole JSON body to ``binding``: the binder of a handler that takes only the
    body, and the body step of every other binder."""
    name, value = binding.name, body_value(binding)

    def bind_body(
        request: Request, scope: RequestScope | None, errors: list[dict[str, Any]]
    ) -> dict[str, Any]:
        bound = value(request, errors)
        return {} if bound is UNBOUND else {name: bound}

    return bind_body


def _type_allowed(content_type: str, allowed: tuple[str, ...]) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern == media or (pattern.endswith("/*") and media.startswith(pattern[:-1])):
            return True
    return False


def _bind_upload(
    b: Binding, form: FormData, kwargs: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    files = form.files.get(b.key)
    if not files:
        if b.default is REQUIRED:
            errors.append(_missing("file", b.key))
        else:
            kwargs[b.name] = b.default
        return
    marker = b.marker
    loc = ["body", b.key]
    if marker is not None:
        if marker.max_files is not None and len(files) > marker.max_files:
            errors.append(
                {
                    "type": "too_many_files",
                    "loc": loc,
                    "msg": f"Too many files: {len(files)} (max {marker.max_files})",
                }
            )
            return
        for upload in files:
            if marker.max_size is not None and upload.size > marker.max_size:
                errors.append(
                    {
                        "type": "file_too_large",
                        "loc": loc,
                        "msg": f"File {upload.filename!r} is {upload.size} bytes "
                        f"(max {marker.max_size})",
                    }
                )
                return
            if marker.min_size is not None and upload.size < marker.min_size:
                errors.append(
                    {
                        "type": "file_too_small",
                        "loc": loc,
                        "msg": f"File {upload.filename!r} is {upload.size} bytes "
                        f"(min {marker.min_size})",
                    }
                )
                return
            if marker.allowed_types is not None and not _type_allowed(
                upload.content_type, marker.allowed_types
            ):
                errors.append(
                    {
                        "type": "file_type_not_allowed",
                        "loc": loc,
                        "msg": f"File type {upload.content_type!r} is not allowed "
                        f"(allowed: {', '.join(marker.allowed_types)})",
                    }
                )
                return
    kwargs[b.name] = files[-1] if b.kind == "file" else list(files)


def _bind_embedded(
    body: bytes,
    embedded: list[Binding],
    decoder: msgspec.json.Decoder[Any],
    kwargs: dict[str, Any],
    errors: list[dict[str, Any]],
) -> None:
    fields: dict[str, msgspec.Raw] = {}
    if body:
        try:
            fields = decoder.decode(body)
        except msgspec.DecodeError as exc:
            errors.append(_validation_error(exc, ["body"]))
            return
    for b in embedded:
        raw = fields.get(b.key)
        if raw is None:
            if b.default is REQUIRED:
                errors.append(
                    {
                        "type": "missing",
                        "loc": ["body", b.key],
                        "msg": f"Missing required body field '{b.key}'",
                    }
                )
            else:
                kwargs[b.name] = b.default
            continue
        try:
            kwargs[b.name] = b.convert(raw)  # type: ignore[misc]
        except msgspec.DecodeError as exc:
            errors.append(_validation_error(exc, ["body", b.key]))
