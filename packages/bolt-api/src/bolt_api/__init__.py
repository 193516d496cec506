"""Bolt: a fully typed API framework for Django, served by a Rust or a pure-Python engine.

bolt-api holds everything about *what* a request means — routing, parameters, validation,
responses, errors — and the engine contract (:mod:`bolt_api.engine`). It knows no sockets.
"""

from .app import BoltAPI
from .engine import CompiledApp, Engine, Request, RouteSpec, ServerConfig
from .engines import available_engines, load_engine
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
    RequestValidationError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
)
from .params import Body, Cookie, Header, Path, Query
from .responses import HTML, JSON, PlainText, Redirect, Response
from .router import Router
from .serving import serve

__all__ = [
    "BadGateway",
    "BadRequest",
    "Body",
    "BoltAPI",
    "CompiledApp",
    "Conflict",
    "Cookie",
    "Engine",
    "EngineNotFoundError",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTML",
    "HTTPException",
    "Header",
    "InternalServerError",
    "JSON",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "Path",
    "PlainText",
    "Query",
    "Redirect",
    "Request",
    "RequestValidationError",
    "Response",
    "RouteSpec",
    "Router",
    "ServerConfig",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnprocessableEntity",
    "available_engines",
    "load_engine",
    "serve",
]
