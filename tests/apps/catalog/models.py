"""The struct several features receive and send (bodies, responses, class-based views)."""

from __future__ import annotations

import msgspec

__all__ = ["Item"]


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []
