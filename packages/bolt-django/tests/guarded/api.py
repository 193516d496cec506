"""Routes with names, access control and several methods, for ``bolt_routes``."""

from bolt_api import BoltAPI
from bolt_api.auth import HasPermission, IsAuthenticated, JWTAuthentication

api = BoltAPI(prefix="/g")
jwt = JWTAuthentication(secret="bolt-routes-test-secret-0123456789abcdef")


@api.get("/public", name="public")
def public() -> str:
    return "hi"


@api.get("/secret", auth=[jwt], guards=[IsAuthenticated(), HasPermission("shop.view")])
def secret() -> str:
    return "s"


@api.post("/secret", auth=[jwt], guards=[IsAuthenticated(), HasPermission("shop.view")])
def write_secret() -> str:
    return "w"


@api.route("/both", ["GET", "PUT"])
def both() -> str:
    return "b"
