from bolt_api import BoltAPI

api = BoltAPI()


@api.get("/project")
def project() -> dict[str, str]:
    return {"from": "project"}
