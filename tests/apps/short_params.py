"""An API whose parameter values may be at most 64 characters (tests/test_hostile_input.py):
a value over ``max_param_length`` in a target well under the engine's ``max_uri_size`` is a 422,
on the Rust engine's ParamSpec fast path (plain ``str``/``int`` path and query values) too.

Served alone (``python -m bolt_api serve tests.apps.short_params:api``).
"""

from __future__ import annotations

from bolt_api import BoltAPI

__all__ = ["LIMIT", "api"]

LIMIT = 64

api = BoltAPI(max_param_length=LIMIT)


@api.get("/words/{word}")
def word(word: str, n: int = 0) -> dict[str, object]:
    return {"word": word, "n": n}


@api.get("/numbers/{number}")
def number(number: int) -> dict[str, int]:
    return {"number": number}
