"""Generated handlers: plain functions whose signature is written for the binder to read.

Class-based views and ``@paginate`` do not bind parameters themselves. They generate one
ordinary function per route whose ``__signature__`` and ``__annotations__`` say what it
takes — the view method's parameters without ``self``, plus the pagination query parameters
and the request when needed — and register it like any handler, so
:func:`bolt_api._binding.compile_plan` sees the right parameters. Annotations are resolved
against the *original* function's module first, because the generated function lives here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any, get_type_hints

__all__ = ["REQUEST_NAMES", "add_keyword", "resolved_signature", "stamp", "with_request"]

#: Parameter names the binder fills with the request object.
REQUEST_NAMES = ("request", "req")

_EMPTY = inspect.Parameter.empty


def resolved_signature(fn: Callable[..., Any]) -> inspect.Signature:
    """``fn``'s signature with every annotation resolved (``include_extras``)."""
    qualname = getattr(fn, "__qualname__", repr(fn))
    sig = inspect.signature(fn)
    try:
        hints = get_type_hints(fn, include_extras=True)
    except Exception as exc:  # an unresolvable forward reference is the user's bug
        raise TypeError(f"cannot resolve the type hints of {qualname}: {exc}") from exc
    params = [p.replace(annotation=hints.get(p.name, _EMPTY)) for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=hints.get("return", _EMPTY))


def with_request(params: Sequence[inspect.Parameter]) -> tuple[list[inspect.Parameter], str, bool]:
    """``(params, name, hidden)``: the parameter the request binds to, added if missing.

    An existing ``request``/``req`` parameter is reused; otherwise a keyword-only
    ``request`` is appended and ``hidden`` is true (the generated handler takes it but does
    not pass it on).
    """
    for p in params:
        if p.name in REQUEST_NAMES:
            return list(params), p.name, False
    return (
        add_keyword(params, [inspect.Parameter("request", inspect.Parameter.KEYWORD_ONLY)]),
        "request",
        True,
    )


def add_keyword(
    params: Sequence[inspect.Parameter], extra: Sequence[inspect.Parameter]
) -> list[inspect.Parameter]:
    """``params`` with the keyword-only ``extra`` inserted before any ``**kwargs``."""
    out = list(params)
    at = len(out)
    if out and out[-1].kind is inspect.Parameter.VAR_KEYWORD:
        at -= 1
    taken = {p.name for p in out}
    for p in extra:
        if p.name in taken:
            raise TypeError(f"parameter {p.name!r} is already taken")
    out[at:at] = extra
    return out


def stamp(
    handler: Callable[..., Any],
    params: Sequence[inspect.Parameter],
    returns: Any,
    *,
    like: Callable[..., Any],
    qualname: str | None = None,
    name: str | None = None,
) -> Callable[..., Any]:
    """Give ``handler`` the signature ``(params) -> returns`` and ``like``'s name and docs."""
    signature = inspect.Signature(list(params), return_annotation=returns)
    annotations = {p.name: p.annotation for p in params if p.annotation is not _EMPTY}
    if returns is not _EMPTY:
        annotations["return"] = returns
    handler.__signature__ = signature  # type: ignore[attr-defined]
    handler.__annotations__ = annotations
    handler.__name__ = name or str(getattr(like, "__name__", handler.__name__))
    handler.__qualname__ = qualname or str(getattr(like, "__qualname__", handler.__qualname__))
    handler.__module__ = str(getattr(like, "__module__", handler.__module__))
    handler.__doc__ = getattr(like, "__doc__", None)
    return handler
