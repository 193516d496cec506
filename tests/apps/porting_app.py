"""docs/porting.md's DRF example, served (tests/test_porting.py): the page's block is run as
written, with ``shelf.models`` being tests/apps/shelf's models (Django configured, and the
tables created, by tests/apps/shelf_app.py), and one author and two tags to refer to."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from . import shelf, shelf_app  # noqa: F401  (Django configured, the tables created)
from .shelf import models

__all__ = ["api"]

sys.modules.setdefault("shelf", shelf)
sys.modules.setdefault("shelf.models", models)

_DOC = Path(__file__).resolve().parents[2] / "docs" / "porting.md"
_BLOCK = next(
    b
    for b in re.findall(r"```python\n(.*?)```", _DOC.read_text(), re.S)
    if "from shelf.models import Book" in b and not b.startswith("# Before")
)
_namespace: dict[str, Any] = {"__name__": "porting_drf"}
exec(compile(_BLOCK, f"{_DOC}:drf", "exec"), _namespace)
api = _namespace["api"]

models.Author.objects.create(name="Frank Herbert")
for name in ("sf", "classic"):
    models.Tag.objects.create(name=name)
