"""``@action``: extra routes on a ViewSet beyond the six standard actions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ._router import UNSET

__all__ = ["ActionInfo", "action", "action_info"]

F = TypeVar("F", bound=Callable[..., Any])

_ATTR = "__bolt_action__"


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """What ``@action`` recorded on a ViewSet method."""

    methods: tuple[str, ...]
    detail: bool
    path: str
    auth: list[Any] | None = None
    guards: list[Any] | None = None
    response_model: Any = UNSET
    status_code: int | None = None
    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None


def action(
    methods: list[str] | tuple[str, ...],
    detail: bool,
    path: str | None = None,
    *,
    auth: list[Any] | None = None,
    guards: list[Any] | None = None,
    response_model: Any = UNSET,
    status_code: int | None = None,
    tags: list[str] | None = None,
    summary: str | None = None,
    description: str | None = None,
) -> Callable[[F], F]:
    """Mark a ViewSet method as a custom action, routed by ``api.viewset()``.

    ``detail=True`` routes it at ``<viewset path>/{lookup}/<path>``, ``detail=False`` at
    ``<viewset path>/<path>``; ``path`` defaults to the method's name. The method's other
    parameters are bound like a function handler's. ``auth``/``guards`` override the class's
    (and ``api.viewset()``'s) for this action.
    """
    if isinstance(methods, str) or not methods:
        raise TypeError("action(methods=...) takes a non-empty list of HTTP methods")
    if not isinstance(detail, bool):
        raise TypeError("action(detail=...) must be True or False")
    upper = tuple(m.upper() for m in methods)

    def decorator(fn: F) -> F:
        if not callable(fn):
            raise TypeError("@action decorates a method")
        route = (path if path is not None else fn.__name__).strip("/")
        if not route:
            raise ValueError(f"@action on {fn.__name__}: the path is empty")
        info = ActionInfo(
            upper,
            detail,
            route,
            auth,
            guards,
            response_model,
            status_code,
            tuple(tags or ()),
            summary,
            description,
        )
        setattr(fn, _ATTR, info)
        return fn

    return decorator


def action_info(obj: Any) -> ActionInfo | None:
    """The :class:`ActionInfo` of a method decorated with ``@action``, else ``None``."""
    info = getattr(obj, _ATTR, None)
    return info if isinstance(info, ActionInfo) else None
