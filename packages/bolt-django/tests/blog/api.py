"""No attribute called ``api``: the first module-level BoltAPI is taken."""

from bolt_api import BoltAPI

helper = "not an api"
public = BoltAPI(prefix="/blog")
internal = BoltAPI(prefix="/internal")


@public.get("/posts")
def posts() -> list[str]:
    return []
