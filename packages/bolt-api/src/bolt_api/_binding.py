"""Parameter binding, its registration half: a callable's signature compiled into a Plan.

:func:`compile_plan` reads the signature at registration, decides each parameter's source
(see :mod:`bolt_api.params`), builds its converter (msgspec, lax string coercion, marker
constraints as ``msgspec.Meta``) and reports conflicts as ``TypeError`` right away. The
request half — the function that fills the plan, collecting *every* error into one 422 — is
:mod:`bolt_api._binders`; the types both share are in :mod:`bolt_api._plan`. Dependencies
(``Depends``) are plans of their own, solved by :mod:`bolt_api._dependencies`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import types
from collections.abc import Callable
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

import msgspec

from ._binders import UNBOUND, body_value, make_binder
from ._coroutines import never_suspends
from ._plan import (
    DEFAULT_MAX_PARAM_LENGTH,
    MAX_PARAM_LENGTH_RANGE,
    Binder,
    Binding,
    BodyValue,
    Converter,
    Plan,
    RequestScope,
    is_struct,
    is_upload,
    sequence_item,
    wire_key,
)
from .datastructures import UploadFile
from .engine import Needs
from .params import REQUIRED, Depends, Param

# Re-exported: what the rest of bolt-api imports of binding, from one place.
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


#: The text of an ``int`` parameter: what msgspec reads as an integer, no exponent or fraction.
_INT_TEXT = re.compile(r"-?(?:0|[1-9][0-9]*)")
#: ``int`` parameters are 64-bit (``format: int64`` in the schema); 422 beyond.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _check_int_text(raw: Any, at: str = "") -> None:
    """Refuse ``1e10``, ``1.0`` and values beyond 64 bits before msgspec's lax read, which
    takes them (``strict=False`` reads any number text, then keeps an integral value of any
    size): every ``int`` read from a string goes through here. ``at`` is a msgspec-style
    location (`` - at `$.page` ``) for a value inside a grouped Struct."""
    if isinstance(raw, str):
        if _INT_TEXT.fullmatch(raw) is None:
            raise msgspec.ValidationError(f"Expected `int`, got `str`{at}")
        if len(raw) > 18:
            value = int(raw)
            if value > INT64_MAX:
                raise msgspec.ValidationError(f"Expected `int` <= {INT64_MAX}{at}")
            if value < INT64_MIN:
                raise msgspec.ValidationError(f"Expected `int` >= {INT64_MIN}{at}")


def _group_int_fields(tp: Any) -> tuple[tuple[str, bool], ...]:
    """``(field name, is-sequence)`` of each ``int`` (or sequence of ``int``) field of a
    grouped Struct or dataclass, named as :func:`~bolt_api._plan.group_fields` names them."""
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        typed = [(f.encode_name, f.type) for f in msgspec.structs.fields(tp)]
    else:
        hints = get_type_hints(tp, include_extras=True)
        typed = [(f.name, hints.get(f.name, Any)) for f in dataclasses.fields(tp)]
    found = []
    for name, field_type in typed:
        base = _bare(field_type)
        if base is int:
            found.append((name, False))
        elif (item := sequence_item(base)) is not None and _bare(item) is int:
            found.append((name, True))
    return tuple(found)


def _bare(tp: Any) -> Any:
    """``tp`` without ``Annotated`` and ``| None`` around it."""
    return _unwrap_annotated(_unwrap_optional(_unwrap_annotated(tp)[0])[0])[0]


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
    item = sequence_item(tp)
    if item is bool:

        def convert_bools(raw: list[str]) -> Any:
            words = [_BOOL_WORDS.get(v.lower(), v) for v in raw]
            return convert(words, target, strict=False)

        return convert_bools

    if tp is int:

        def convert_int(raw: Any) -> Any:
            _check_int_text(raw)
            return convert(raw, target, strict=False)

        return convert_int
    if item is int:

        def convert_ints(raw: Any) -> Any:
            for value in raw:
                _check_int_text(value)
            return convert(raw, target, strict=False)

        return convert_ints

    def convert_lax(raw: Any) -> Any:
        return convert(raw, target, strict=False)

    return convert_lax


def _is_websocket(tp: Any) -> bool:
    """A ``websocket: WebSocket`` parameter: in a WebSocket route, the connection is the
    request (it reads the handshake request's parts), so it binds like ``request``."""
    from .websocket import WebSocket

    return isinstance(tp, type) and issubclass(tp, WebSocket)


def _infer(name: str, tp: Any, marker: Param | None, path_names: frozenset[str]) -> str:
    if marker is not None:
        return marker.source
    if name in path_names:
        return "path"
    if name in _REQUEST_NAMES or _is_websocket(tp):
        return "request"
    if is_upload(tp):
        return "file"
    if is_struct(tp):
        return "body"
    return "query"


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
        key = wire_key(source, p.name, alias)
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
    plan._bind = make_binder(_own(plan.bindings), plan.max_param_length)
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
        _bind=make_binder(_own(bindings), max_param_length),
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


def _body_decoder(tp: Any) -> Converter:
    """The JSON decoder of a body typed ``tp``: a serializer's own (read-only fields
    ignored, validators run, every error as a 422 entry), else msgspec's."""
    own = getattr(tp, "__bolt_decode_json__", None) if isinstance(tp, type) else None
    if own is not None:
        return own  # type: ignore[no-any-return]
    return msgspec.json.Decoder(tp).decode if tp is not Any else msgspec.json.decode


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
        if not is_upload(tp):
            raise TypeError(
                f"{qualname}: File() parameter {name!r} must be UploadFile or list[UploadFile]"
            )
        kind = "file" if tp is UploadFile else "files"
        return Binding(name, source, key, tp, default, kind, None, param)
    if source == "body":
        decoder = _body_decoder(tp)
        if param is not None and param.embed:
            return Binding(name, source, key, tp, default, "embed", decoder, param)
        return Binding(name, source, key, tp, default, "body", decoder, param)
    # query / header / cookie / form
    if is_struct(tp):
        if source not in ("query", "header", "cookie", "form"):
            raise TypeError(f"{qualname}: a Struct parameter cannot come from {source}")

        int_fields = _group_int_fields(tp)

        def convert_group(values: dict[str, Any], tp: Any = tp) -> Any:
            for field_name, is_seq in int_fields:
                value = values.get(field_name)
                if value is None:
                    continue
                if not is_seq:
                    _check_int_text(value, f" - at `$.{field_name}`")
                    continue
                for index, item in enumerate(value):
                    _check_int_text(item, f" - at `$.{field_name}[{index}]`")
            return msgspec.convert(values, tp, strict=False)

        return Binding(name, source, key, tp, default, "group", convert_group, param)
    if sequence_item(tp) is not None:
        if source in ("header", "cookie"):
            raise TypeError(f"{qualname}: {source} {name!r} cannot be a sequence")
        return Binding(name, source, key, tp, default, "multi", _lax(tp, param), param)
    return Binding(name, source, key, tp, default, "scalar", _lax(tp, param), param)
