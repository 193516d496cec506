"""Bolt: a fully typed API framework for Django, served by a Rust or a pure-Python engine.

bolt-api holds everything about *what* a request means — routing, parameters, validation,
responses, errors — and the engine contract (:mod:`bolt_api.engine`). It knows no sockets.
"""

from .app import BoltAPI
from .datastructures import UploadFile
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
    RequestValidationError,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
)
from .params import Body, Cookie, Depends, File, Form, Header, Path, Query
from .responses import HTML, JSON, PlainText, Redirect, Response
from .router import Router
from .serving import serve

__all__ = [
    "BadGateway",
    "BadRequest",
    "Body",
    "BoltAPI",
    "BoltError",
    "CompiledApp",
    "Conflict",
    "Cookie",
    "Depends",
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
    "UploadFile",
    "available_engines",
    "load_engine",
    "problem_details",
    "serve",
]
