"""APIs named by ``settings.BOLT_API`` in the tests."""

from bolt_api import BoltAPI

first = BoltAPI()
second = BoltAPI(prefix="/v2")
not_an_api = 3


@first.get("/first")
def first_route() -> str:
    return "first"


@second.get("/second")
def second_route() -> str:
    return "second"
