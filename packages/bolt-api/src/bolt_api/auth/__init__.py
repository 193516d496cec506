"""Authentication and guards: who sent a request, and whether it may reach the handler.

Declare them per route (``@api.get(path, auth=[...], guards=[...])``), per router
(``Router(auth=..., guards=...)``), per view, viewset or ``@action``; a route that declares
neither takes the API's defaults (``api.default_auth``/``api.default_guards``, which
bolt-django sets from ``BOLT_AUTHENTICATION_CLASSES``/``BOLT_DEFAULT_PERMISSION_CLASSES``).
``auth=[]`` opts a route out of the default backends. A route with no backend and no guard
(or only ``AllowAny()``) has no access-control stage at all: it pays nothing.

The check runs before the body is bound: a refused request never reaches a validator. The
result is in ``request.state["auth"]`` (:func:`get_auth_context`). See ``docs/auth.md``.
"""

from ._backends import APIKeyAuthentication, BaseAuthentication, JWTAuthentication
from ._context import AuthContext, get_auth_context
from ._current_user import CurrentUser, extract_user_id_from_context, get_current_user
from ._guards import (
    AllowAny,
    BasePermission,
    Guard,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    Requires,
)
from ._pairs import TokenPair, TokenRotationError, create_token_pair, rotate_refresh_token
from ._revocation import (
    DjangoCacheRevocation,
    DjangoORMRevocation,
    InMemoryRevocation,
    RevocationStore,
)
from ._session import SessionAuthentication
from ._tokens import Token, create_jwt_for_user
from ._views import JWTAuthViews, LoginCredentials, RefreshCredentials

__all__ = [
    "APIKeyAuthentication",
    "AllowAny",
    "AuthContext",
    "BaseAuthentication",
    "BasePermission",
    "CurrentUser",
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "Guard",
    "HasAllPermissions",
    "HasAnyPermission",
    "HasPermission",
    "InMemoryRevocation",
    "IsAdminUser",
    "IsAuthenticated",
    "IsStaff",
    "JWTAuthViews",
    "JWTAuthentication",
    "LoginCredentials",
    "RefreshCredentials",
    "Requires",
    "RevocationStore",
    "SessionAuthentication",
    "Token",
    "TokenPair",
    "TokenRotationError",
    "create_jwt_for_user",
    "create_token_pair",
    "extract_user_id_from_context",
    "get_auth_context",
    "get_current_user",
    "rotate_refresh_token",
]
