"""Porting from django-bolt is changing ``django_bolt`` to ``bolt_api`` in imports.

Every name django-bolt 0.13 exports from its package and from ``django_bolt.auth`` (their
``__all__``, listed here) must import from the same place under ``bolt_api``, or be one of
:data:`NOT_PROVIDED`, each of which the README's "Differences from django-bolt" names.
"""

from __future__ import annotations

import importlib
import types
from pathlib import Path

import pytest

README = Path(__file__).parents[3] / "README.md"

#: ``django_bolt.__all__`` and ``django_bolt.auth.__all__`` (django-bolt 0.13), and the
#: exceptions its documentation names.
DJANGO_BOLT = {
    "bolt_api": """BoltAPI Request Response JSON StreamingResponse EventSourceResponse
        ServerSentEvent format_sse_event CompressionConfig Cookie Depends UploadFile MediaType
        FileSize Router RequestProtocol UserType AuthContext DjangoModel JWTClaims APIKeyAuth
        TimingState TracingState APIView ViewSet ModelViewSet ReadOnlyModelViewSet ListMixin
        RetrieveMixin CreateMixin UpdateMixin PartialUpdateMixin DestroyMixin PaginationBase
        PageNumberPagination LimitOffsetPagination CursorPagination PaginatedResponse paginate
        action JWTAuthentication APIKeyAuthentication AllowAny IsAuthenticated Requires
        MiddlewareProtocol BaseMiddleware Middleware middleware rate_limit cors skip_middleware
        no_compress TimingMiddleware LoggingMiddleware ErrorHandlerMiddleware DjangoMiddleware
        Token create_jwt_for_user get_current_user CurrentUser extract_user_id_from_context
        get_auth_context OpenAPIConfig SwaggerRenderPlugin RedocRenderPlugin ScalarRenderPlugin
        RapidocRenderPlugin StoplightRenderPlugin JsonRenderPlugin YamlRenderPlugin status
        WebSocket WebSocketState WebSocketDisconnect WebSocketClose WebSocketException
        CloseCode""",
    "bolt_api.auth": """BaseAuthentication JWTAuthentication APIKeyAuthentication AuthContext
        get_default_authentication_classes BasePermission AllowAny IsAuthenticated Requires
        get_default_permission_classes Token create_jwt_for_user get_current_user CurrentUser
        extract_user_id_from_context get_auth_context TokenPair TokenRotationError
        create_token_pair rotate_refresh_token set_token_cookies RevocationStore
        InMemoryRevocation DjangoCacheRevocation DjangoORMRevocation create_revocation_handler
        register_auth_backend get_registered_backend load_user JWTAuthViews LoginCredentials""",
    # the reference's §1.5 (errors)
    "bolt_api.exceptions": """HTTPException BadRequest Unauthorized Forbidden NotFound
        MethodNotAllowed Conflict UnprocessableEntity TooManyRequests InternalServerError
        ServiceUnavailable ValidationException RequestValidationError
        ResponseValidationError""",
}

#: Names Bolt does not have (yet); the README says so, and why.
NOT_PROVIDED = {
    # typing helpers for a generic Request[User, Claims, State]: Bolt's Request is not generic
    "RequestProtocol", "UserType", "DjangoModel", "JWTClaims", "APIKeyAuth", "TimingState",
    "TracingState",
    # the @middleware decorator: bolt_api.middleware is the module (import it from there)
    "middleware",
    # enums: Bolt takes plain strings (media types) and ints (sizes)
    "MediaType", "FileSize",
    # django-bolt's internals of user loading and defaults: Bolt reads the settings itself
    "get_default_authentication_classes", "get_default_permission_classes",
    "register_auth_backend", "get_registered_backend", "load_user",
    "create_revocation_handler", "set_token_cookies",
}  # fmt: skip

#: django-bolt names that are modules (``from django_bolt import status``).
MODULES = {"status"}

CASES = [(module, name) for module, names in DJANGO_BOLT.items() for name in names.split()]


@pytest.mark.parametrize(("module", "name"), CASES, ids=[f"{m}.{n}" for m, n in CASES])
def test_the_name_imports_from_bolt_api(module: str, name: str) -> None:
    value = getattr(importlib.import_module(module), name, None)
    # a submodule of the same name (bolt_api.middleware) is not the name django-bolt has
    found = value is not None and not isinstance(value, types.ModuleType)
    if name in MODULES:
        found = _is_submodule(module, name)
    if name in NOT_PROVIDED:
        assert not found, f"{module}.{name} exists now: take it out of NOT_PROVIDED"
    else:
        assert found, f"from {module} import {name} fails (django-bolt has it)"


def _is_submodule(module: str, name: str) -> bool:
    """``from bolt_api import status`` imports the submodule."""
    try:
        importlib.import_module(f"{module}.{name}")
    except ModuleNotFoundError:
        return False
    return True


def test_the_readme_names_what_is_not_provided() -> None:
    text = README.read_text()
    differences = text.split("## Differences from django-bolt", 1)[1].split("\n## ", 1)[0]
    missing = sorted(n for n in NOT_PROVIDED if f"`{n}`" not in differences)
    assert not missing, f"README.md's Differences do not name {missing}"


def test_a_raised_validation_exception_is_the_422_list() -> None:
    """django-bolt's ``ValidationException(errors)`` answers like a request's own errors."""
    from bolt_api import BoltAPI
    from bolt_api.exceptions import RequestValidationError, ValidationException
    from bolt_api_fakes import FakeRequest, compiled_call

    api = BoltAPI()
    errors = [{"type": "value_error", "loc": ["body", "x"], "msg": "bad"}]

    @api.get("/v")
    def v() -> None:
        raise ValidationException(errors)

    status, _, body = compiled_call(api, "GET", "/v")(FakeRequest("GET", "/v"))
    assert (status, body) == (
        422,
        b'{"detail":[{"type":"value_error","loc":["body","x"],"msg":"bad"}]}',
    )
    assert issubclass(RequestValidationError, ValidationException)
    assert RequestValidationError(errors, body=b"{}").body == b"{}"
