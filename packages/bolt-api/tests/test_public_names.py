"""Each package's public names (``__all__``) are exactly the documented ones.

``docs/reference.md`` has one section per package and public module, listing what it
exports. A name exported but not documented, or documented but gone, fails here; so does a
public (non-underscore) module of bolt-api that has no section.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import bolt_api
import pytest

REFERENCE = Path(__file__).parents[3] / "docs" / "reference.md"


def documented() -> dict[str, list[str]]:
    """``{module: [names listed under its heading]}`` from the reference page."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in REFERENCE.read_text().splitlines():
        heading = re.fullmatch(r"## `([\w.]+)`", line)
        if heading:
            current = sections.setdefault(heading.group(1), [])
        elif current is not None and line.startswith("- `"):
            current.append(line[3 : line.index("`", 3)])
        elif current is not None and line.startswith("HTTP status codes as named integers"):
            current.extend(re.findall(r"`(\w+)`", line))
    return sections


SECTIONS = documented()


@pytest.mark.parametrize("module", sorted(SECTIONS))
def test_exports_are_the_documented_names(module: str) -> None:
    if module == "bolt_rust":
        pytest.importorskip("bolt_rust", reason="the Rust engine is not built here")
    exported = importlib.import_module(module).__all__
    assert sorted(exported) == sorted(SECTIONS[module]), f"docs/reference.md, {module}"
    assert list(exported) == sorted(exported), f"{module}.__all__ is kept sorted"
    assert len(set(exported)) == len(exported)


@pytest.mark.parametrize("package", ["bolt_api", "bolt_py", "bolt_rust", "bolt_django"])
def test_every_public_attribute_is_exported(package: str) -> None:
    """No public name is reachable on a package without being in its ``__all__``."""
    if package == "bolt_rust":
        pytest.importorskip("bolt_rust", reason="the Rust engine is not built here")
    module = importlib.import_module(package)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, type(bolt_api))
    }
    public.discard("annotations")  # from __future__ import annotations
    assert public <= set(module.__all__), sorted(public - set(module.__all__))


def test_every_public_module_of_bolt_api_is_documented() -> None:
    names = []
    for info in pkgutil.walk_packages(bolt_api.__path__, "bolt_api."):
        parts = info.name.split(".")
        if not any(part.startswith("_") for part in parts) and parts[1] != "openapi":
            names.append(info.name)
    names.append("bolt_api.openapi")
    assert sorted(set(names) - set(SECTIONS)) == []
