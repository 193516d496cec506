"""Two handlers for one route in one API: registration raises at the second decorator."""

from bolt_api import BoltAPI

api = BoltAPI()


@api.get("/dupe")
def first() -> str:
    return "first"


@api.get("/dupe")
def second() -> str:
    return "second"
