"""Bolt: a fully typed API framework for Django, served by a Rust or a pure-Python engine.

bolt-api holds everything about *what* a request means — routing, parameters, validation,
responses, errors — and the engine contract (:mod:`bolt_api.engine`). Only its server wing,
:mod:`bolt_api.server` (processes, listening sockets, reload, the ``bolt`` command), knows
about sockets; no other module imports it but the package's ``serve`` re-export and
``python -m bolt_api`` (``packages/bolt-api/tests/test_imports.py`` checks the graph).
"""

from ._app import BoltAPI
from ._router import Router
from ._threads import run_in_thread, run_inline
from .compression import CompressionConfig, no_compress
from .cors import CORSConfig, cors
from .datastructures import UploadFile
from .decorators import action
from .engine import CompiledApp, Engine, Request, RouteSpec, ServerConfig
from .engines import available_engines, load_engine
from .errors import BoltError, problem_details
from .exceptions import (
    BadGateway,
    BadRequest,
    Conflict,
    EngineNotFoundError,
    Forbidden,
    GatewayTimeout,
    Gone,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    RateLimitExceeded,
    RequestValidationError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
)
from .hosts import AllowedHosts
from .openapi import OpenAPIConfig
from .pagination import (
    CursorPagination,
    LimitOffsetPagination,
    PageNumberPagination,
    PaginatedResponse,
    PaginationBase,
    paginate,
)
from .params import Body, Cookie, Depends, File, Form, Header, Path, Query
from .ratelimit import rate_limit
from .responses import HTML, JSON, PlainText, Redirect, Response
from .server import serve
from .views import (
    APIView,
    CreateMixin,
    DestroyMixin,
    ListMixin,
    ModelViewSet,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
    ViewSet,
)

__all__ = [
    "APIView",
    "AllowedHosts",
    "BadGateway",
    "BadRequest",
    "Body",
    "BoltAPI",
    "BoltError",
    "CORSConfig",
    "CompiledApp",
    "CompressionConfig",
    "Conflict",
    "Cookie",
    "CreateMixin",
    "CursorPagination",
    "Depends",
    "DestroyMixin",
    "Engine",
    "EngineNotFoundError",
    "File",
    "Forbidden",
    "Form",
    "GatewayTimeout",
    "Gone",
    "HTML",
    "HTTPException",
    "Header",
    "InternalServerError",
    "JSON",
    "LimitOffsetPagination",
    "ListMixin",
    "MethodNotAllowed",
    "ModelViewSet",
    "NotAcceptable",
    "NotFound",
    "OpenAPIConfig",
    "PageNumberPagination",
    "PaginatedResponse",
    "PaginationBase",
    "PartialUpdateMixin",
    "Path",
    "PlainText",
    "Query",
    "RateLimitExceeded",
    "ReadOnlyModelViewSet",
    "Redirect",
    "Request",
    "RequestValidationError",
    "Response",
    "RetrieveMixin",
    "RouteSpec",
    "Router",
    "ServerConfig",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableEntity",
    "UpdateMixin",
    "UploadFile",
    "ViewSet",
    "action",
    "available_engines",
    "cors",
    "load_engine",
    "no_compress",
    "paginate",
    "problem_details",
    "rate_limit",
    "run_in_thread",
    "run_inline",
    "serve",
]
