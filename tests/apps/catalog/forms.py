"""Form fields and file uploads (urlencoded and multipart bodies).

Scalars and lists from a form, a struct filled from form fields, one upload checked for its
size and content type beside a form field, and several uploads under one name.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from bolt_api import File, Form, UploadFile

from .app import api

__all__ = ["Signup", "form", "form_struct", "upload", "uploads"]


class Signup(msgspec.Struct):
    username: str
    age: int


@api.post("/form")
def form(
    name: Annotated[str, Form()],
    age: Annotated[int, Form(ge=0)],
    tags: Annotated[list[str] | None, Form()] = None,
) -> dict[str, Any]:
    return {"name": name, "age": age, "tags": tags}


@api.post("/form-struct")
def form_struct(data: Annotated[Signup, Form()]) -> Signup:
    return data


@api.post("/upload")
async def upload(
    doc: Annotated[UploadFile, File(max_size=1000, allowed_types=["text/*", "application/json"])],
    note: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    content = await doc.read()
    return {
        "filename": doc.filename,
        "content_type": doc.content_type,
        "size": doc.size,
        "content": content.decode(errors="replace"),
        "note": note,
    }


@api.post("/uploads")
def uploads(files: Annotated[list[UploadFile], File(max_files=3)]) -> dict[str, Any]:
    return {"names": [f.filename for f in files], "sizes": [f.size for f in files]}
