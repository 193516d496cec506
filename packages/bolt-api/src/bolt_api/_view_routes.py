"""Routing class-based views: what ``api.view()`` and ``api.viewset()`` register.

For every routed method or action one plain ``async`` function handler is generated. Its
signature is the method's, minus ``self`` (annotations resolved in the method's module), plus
a keyword-only ``request`` when the method does not take one; it is registered with the
registrar's ordinary ``route()``, so parameters are bound, validated and documented by the
same machinery as function handlers. At request time the handler makes a fresh view instance,
sets ``request``/``action``/``kwargs`` on it, calls the method and evaluates a returned
QuerySet asynchronously.

ModelViewSet's mixin methods are typed from the serializer classes at registration: the
``data`` body of ``create``/``update`` is the write serializer, ``partial_update`` takes a
copy of it whose fields are all optional, and responses are the read serializer (model
instances are converted by attribute).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

import msgspec

from ._querysets import materialize
from ._response import Response
from ._router import RouteRegistrar
from ._signatures import resolved_signature, stamp, with_request
from .decorators import ActionInfo, action_info
from .pagination import paginated_handler
from .params import Query
from .views import STANDARD_ACTIONS, APIView, ViewSet

__all__ = ["partial_struct", "register_view", "register_viewset", "view_handler"]

_STANDARD_NAMES = frozenset(a[0] for a in STANDARD_ACTIONS)


@functools.cache
def partial_struct(tp: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """A Struct with ``tp``'s fields, each optional (``UNSET`` when absent), for PATCH."""
    own = getattr(tp, "__bolt_partial__", None)  # a serializer keeps its rules
    if own is not None:
        return own()  # type: ignore[no-any-return]
    fields = msgspec.structs.fields(tp)
    config = tp.__struct_config__
    return msgspec.defstruct(
        f"{tp.__name__}Patch",
        [(f.name, Union[f.type, msgspec.UnsetType], msgspec.UNSET) for f in fields],  # noqa: UP007
        rename={f.name: f.encode_name for f in fields},
        forbid_unknown_fields=config.forbid_unknown_fields,
        module=tp.__module__,
    )


#: The parameter a ViewSet's ``list`` takes its ``filterset_class`` as.
FILTERS = "bolt_filters"


def _model_typing(
    cls: type[ViewSet], action: str, params: list[inspect.Parameter]
) -> tuple[list[inspect.Parameter], Any]:
    """The parameters and return type of a mixin method, from the serializer classes."""
    if action == "list":
        if cls.filterset_class is not None:  # its fields: the list route's query parameters
            filterset: Any = cls.filterset_class
            group: Any = Annotated[filterset, Query()]
            keyword = inspect.Parameter.KEYWORD_ONLY
            params = [*params, inspect.Parameter(FILTERS, keyword, annotation=group)]
        return params, list[cls.get_serializer_class("list")]  # type: ignore[misc]
    if action == "destroy":
        return params, None
    if action in ("create", "update", "partial_update"):
        body = cls.get_serializer_class(action)
        if action == "partial_update":
            if not (isinstance(body, type) and issubclass(body, msgspec.Struct)):
                raise TypeError(
                    f"{cls.__qualname__}.partial_update needs a msgspec.Struct "
                    f"serializer, got {body!r}"
                )
            body = partial_struct(body)
        params = [p.replace(annotation=body) if p.name == "data" else p for p in params]
    return params, cls.get_serializer_class("retrieve")


def _serializer_read(cls: type[APIView], action: str | None, returns: Any) -> Any:
    """For a ModelViewSet action answered with a serializer ``S`` (or ``list[S]``): the
    coroutine function reading the result with ``S.afrom_model(s)`` (the loading plan
    applied, relations read off the event loop). ``None`` otherwise, and for a paged list."""
    if action is None or not issubclass(cls, ViewSet):
        return None
    if action == "list" and cls.pagination_class is not None:
        return None
    many = get_origin(returns) is list
    tp = get_args(returns)[0] if many and get_args(returns) else returns
    if not hasattr(tp, "afrom_models"):
        return None

    async def read(result: Any) -> Any:
        if result is None or isinstance(result, (Response, tp)):
            return result
        if many:
            return await tp.afrom_models(result)
        return await tp.afrom_model(result)

    return read


def view_handler(
    cls: type[APIView], attr: str, *, action: str, lookup: str | None = None, evaluate: bool = True
) -> Callable[..., Any]:
    """The function handler serving ``cls.<attr>`` (see the module docstring)."""
    qualname = f"{cls.__qualname__}.{attr}"
    static = inspect.getattr_static(cls, attr)
    if isinstance(static, (staticmethod, classmethod)):
        raise TypeError(f"{qualname} must be a plain method, not a {type(static).__name__}")
    method = getattr(cls, attr)
    sig = resolved_signature(method)
    params = list(sig.parameters.values())
    if not params or params[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    ):
        raise TypeError(f"{qualname} must take self as its first parameter")
    params = params[1:]
    returns = sig.return_annotation
    model_action = getattr(method, "__bolt_model_action__", None)
    if model_action is not None and issubclass(cls, ViewSet):
        params, returns = _model_typing(cls, model_action, params)
    read = _serializer_read(cls, model_action, returns)
    params, request_name, hidden = with_request(params)
    names = tuple(p.name for p in params)

    async def handler(*args: Any, **kwargs: Any) -> Any:
        if args:  # a request-only route passes the request positionally
            kwargs.update(zip(names, args, strict=False))
        request = kwargs.pop(request_name) if hidden else kwargs[request_name]
        view = cls()
        view.request = request
        view.action = action
        view.kwargs = dict(getattr(request, "path_params", None) or {})
        if lookup is not None and isinstance(view, ViewSet):
            view.lookup_field = lookup
        if FILTERS in kwargs:
            view.filters = kwargs.pop(FILTERS)  # type: ignore[attr-defined]
        view.initialize(request)
        result = method(view, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        if read is not None:
            return await read(result)
        return await materialize(result) if evaluate else result

    # the name gives OpenAPI its operation id and summary: ``get_ItemViewSet_list``,
    # "ItemViewSet List"
    stamp(handler, params, returns, like=method, qualname=qualname, name=f"{cls.__name__}_{attr}")
    handler.__bolt_view__ = cls  # type: ignore[attr-defined]
    # @rate_limit on the method, else on the class (every route of it)
    limit = getattr(method, "__bolt_rate_limit__", None) or getattr(
        cls, "__bolt_rate_limit__", None
    )
    if limit is not None:
        handler.__bolt_rate_limit__ = limit  # type: ignore[attr-defined]
    # @middleware on the class (outside) and on the method; @skip_middleware on either
    layers = (*getattr(cls, "__bolt_middleware__", ()), *getattr(method, "__bolt_middleware__", ()))
    if layers:
        handler.__bolt_middleware__ = layers  # type: ignore[attr-defined]
    skipped = getattr(cls, "__bolt_skip_middleware__", frozenset()) | getattr(
        method, "__bolt_skip_middleware__", frozenset()
    )
    if skipped:
        handler.__bolt_skip_middleware__ = skipped  # type: ignore[attr-defined]
    return handler


def _actions(cls: type[APIView]) -> list[tuple[str, ActionInfo]]:
    found = []
    for attr in sorted(dir(cls)):
        if attr.startswith("_"):
            continue
        info = action_info(getattr(cls, attr, None))
        if info is not None:
            found.append((attr, info))
    return found


def register_view(
    registrar: RouteRegistrar,
    cls: type[APIView],
    path: str,
    *,
    methods: Sequence[str] | None = None,
    guards: list[Any] | None = None,
    auth: list[Any] | None = None,
    status_code: int | None = None,
    tags: list[str] | None = None,
    name: str | None = None,
) -> None:
    """Route each HTTP method ``cls`` implements (or ``methods``) on ``path``."""
    if not (isinstance(cls, type) and issubclass(cls, APIView)):
        raise TypeError(f"api.view() decorates an APIView subclass, got {cls!r}")
    actions = _actions(cls)
    if actions:
        raise ValueError(
            f"{cls.__qualname__}.{actions[0][0]} uses @action: register "
            f"{cls.__qualname__} with api.viewset(), not api.view()"
        )
    allowed = [m for m in cls.http_method_names if callable(getattr(cls, m, None))]
    chosen = allowed if methods is None else [m.lower() for m in methods]
    for m in chosen:
        if m not in allowed:
            raise ValueError(
                f"{cls.__qualname__} does not implement {m.upper()} "
                f"(it implements: {', '.join(a.upper() for a in allowed) or 'none'})"
            )
    if not chosen:
        raise ValueError(
            f"{cls.__qualname__} implements no HTTP method ({', '.join(cls.http_method_names)})"
        )
    status = status_code if status_code is not None else cls.status_code
    for m in chosen:
        registrar.route(
            path,
            (m.upper(),),
            status_code=status,
            tags=tags,
            name=name,
            auth=auth if auth is not None else cls.auth,
            guards=guards if guards is not None else cls.guards,
        )(view_handler(cls, m, action=m))


def register_viewset(
    registrar: RouteRegistrar,
    cls: type[ViewSet],
    path: str,
    *,
    guards: list[Any] | None = None,
    auth: list[Any] | None = None,
    status_code: int | None = None,
    lookup_field: str = "pk",
    tags: list[str] | None = None,
    name: str | None = None,
) -> None:
    """Route the standard actions ``cls`` implements and its ``@action`` methods.

    ``list`` GET ``path``, ``create`` POST ``path`` (201), ``retrieve``/``update``/
    ``partial_update``/``destroy`` GET/PUT/PATCH/DELETE ``path/{lookup}`` (destroy 204);
    ``@action(detail=True)`` at ``path/{lookup}/<name>``, ``detail=False`` at
    ``path/<name>``. ``lookup_field`` left at ``"pk"`` defers to ``cls.lookup_field``. With
    ``name``, routes are named ``<name>-<action>``.
    """
    if not (isinstance(cls, type) and issubclass(cls, ViewSet)):
        raise TypeError(f"api.viewset() decorates a ViewSet subclass, got {cls!r}")
    lookup = cls.lookup_field if lookup_field == "pk" else lookup_field
    if not lookup.isidentifier():
        raise ValueError(f"lookup_field must be an identifier, got {lookup!r}")
    base = path.rstrip("/")
    detail_path = f"{base}/{{{lookup}}}"
    class_guards = guards if guards is not None else cls.guards
    class_auth = auth if auth is not None else cls.auth
    for act, method, detail, default_status in STANDARD_ACTIONS:
        if not callable(getattr(cls, act, None)):
            continue
        paged = (
            act == "list"
            and cls.pagination_class is not None
            and not getattr(getattr(cls, act), "__paginated__", False)
        )
        handler = view_handler(cls, act, action=act, lookup=lookup, evaluate=not paged)
        if paged:
            handler = paginated_handler(
                handler, cls.pagination_class, qualname=f"{cls.__qualname__}.list"
            )
        status = status_code if status_code is not None else cls.status_code
        registrar.route(
            detail_path if detail else path,
            (method,),
            status_code=status if status is not None else default_status,
            tags=tags,
            name=f"{name}-{act}" if name else None,
            auth=class_auth,
            guards=class_guards,
        )(handler)
    for attr, info in _actions(cls):
        if attr in _STANDARD_NAMES:
            raise ValueError(
                f"{cls.__qualname__}.{attr}: @action cannot use a standard action's name"
            )
        route_path = f"{detail_path if info.detail else base}/{info.path}"
        handler = view_handler(cls, attr, action=attr, lookup=lookup)
        merged = [*(tags or ()), *(t for t in info.tags if t not in (tags or ()))]
        registrar.route(
            route_path,
            info.methods,
            response_model=info.response_model,
            status_code=info.status_code,
            tags=merged or None,
            summary=info.summary,
            description=info.description,
            name=f"{name}-{attr}" if name else None,
            auth=info.auth if info.auth is not None else class_auth,
            guards=info.guards if info.guards is not None else class_guards,
        )(handler)
