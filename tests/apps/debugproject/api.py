"""``/ok`` answers, ``/crash`` raises: what a 500 shows depends on ``DEBUG``."""

from bolt_api import BoltAPI

api = BoltAPI()


@api.get("/ok")
def ok() -> dict[str, bool]:
    return {"ok": True}


@api.get("/crash/{n}")
def crash(n: int) -> dict[str, int]:
    raise ZeroDivisionError(f"cannot divide {n} by zero")
