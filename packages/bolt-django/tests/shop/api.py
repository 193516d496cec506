from bolt_api import BoltAPI

api = BoltAPI()


@api.get("/items")
def items() -> list[int]:
    return [1, 2]


@api.get("/items/{item_id}")
def item(item_id: int) -> dict[str, int]:
    return {"id": item_id}
