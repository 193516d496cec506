from bolt_api import BoltAPI

api = BoltAPI()


@api.get("/items")
def other_items() -> list[int]:
    return []
