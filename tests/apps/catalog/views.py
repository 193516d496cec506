"""Class-based views and viewsets (tests/test_views.py).

``HelloView`` and ``UserView`` are ``APIView``s (one handler per HTTP method; ``methods=``
can leave one out). ``NoteViewSet`` is an in-memory ``ViewSet`` over ``NOTES``: list (paged),
retrieve, update and partial update from the mixins, the rest written by hand, and two
``@action``s. ``SwatchViewSet`` is read-only, looked up by a field other than ``pk``.
"""

from __future__ import annotations

from typing import Any

import msgspec
from bolt_api import (
    APIView,
    ListMixin,
    PageNumberPagination,
    PartialUpdateMixin,
    ReadOnlyModelViewSet,
    RetrieveMixin,
    UpdateMixin,
    ViewSet,
    action,
)

from .app import api
from .models import Item

__all__ = [
    "NOTES",
    "SWATCHES",
    "HelloView",
    "Note",
    "NoteIn",
    "NoteViewSet",
    "Swatch",
    "SwatchViewSet",
    "TwoPerPage",
    "UserView",
]


@api.view("/cbv/hello", tags=["cbv"])
class HelloView(APIView):
    async def get(self, request: Any, name: str = "World") -> dict[str, str]:
        return {"message": f"Hello, {name}", "method": request.method, "action": str(self.action)}

    async def post(self, item: Item) -> dict[str, Any]:
        return {"created": item.name, "price": item.price, "seen": self.request is not None}


@api.view("/cbv/users/{user_id}", methods=["GET", "PUT"])
class UserView(APIView):
    status_code = 202

    def get(self, user_id: int, verbose: bool = False) -> dict[str, Any]:
        return {"user_id": user_id, "verbose": verbose, "path": self.kwargs}

    async def put(self, user_id: int, item: Item) -> dict[str, Any]:
        return {"user_id": user_id, "name": item.name}

    async def delete(self, user_id: int) -> None:  # not routed: methods= leaves it out
        return None


class Note(msgspec.Struct):
    id: int
    text: str
    done: bool = False


class NoteIn(msgspec.Struct):
    text: str
    done: bool = False


class TwoPerPage(PageNumberPagination):
    page_size = 2


NOTES: list[dict[str, Any]] = [
    {"id": i, "text": f"note {i}", "done": i % 2 == 0} for i in range(1, 6)
]


@api.viewset("/cbv/notes", name="note", tags=["notes"])
class NoteViewSet(ListMixin, RetrieveMixin, UpdateMixin, PartialUpdateMixin, ViewSet):
    """An in-memory ViewSet: list (paged), retrieve, update and partial_update come from the
    mixins; create, destroy and two actions are written by hand."""

    queryset = NOTES
    serializer_class = Note
    update_serializer_class = NoteIn
    pagination_class = TwoPerPage

    async def create(self, request: Any, data: NoteIn) -> Note:
        note = {
            "id": max((n["id"] for n in NOTES), default=0) + 1,
            "text": data.text,
            "done": data.done,
        }
        NOTES.append(note)
        return Note(**note)

    async def destroy(self, request: Any, pk: int) -> None:
        NOTES.remove(await self.get_object())

    @action(methods=["GET"], detail=False)
    async def done(self, request: Any) -> list[Note]:
        return [n for n in await self.get_queryset() if n["done"]]

    @action(methods=["POST"], detail=True, path="toggle")
    async def toggle_done(self, pk: int) -> Note:
        note = await self.get_object(pk)
        note["done"] = not note["done"]
        return note  # type: ignore[no-any-return]


class Swatch(msgspec.Struct):
    slug: str
    hex: str


SWATCHES = [Swatch("red", "#f00"), Swatch("green", "#0f0"), Swatch("blue", "#00f")]


@api.viewset("/cbv/colors")
class SwatchViewSet(ReadOnlyModelViewSet):
    queryset = SWATCHES
    serializer_class = Swatch
    lookup_field = "slug"
