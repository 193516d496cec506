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


#: Through ``settings.MIDDLEWARE``: ``manage.py check`` resolves that list (bolt.E005).
with_django_middleware = BoltAPI(django_middleware=True)


@with_django_middleware.get("/mw")
def mw_route() -> str:
    return "mw"


#: Only CommonMiddleware, which ``settings.MIDDLEWARE`` must then hold.
only_common = BoltAPI(django_middleware={"include": ["CommonMiddleware"]})


@only_common.get("/common")
def common_route() -> str:
    return "common"
