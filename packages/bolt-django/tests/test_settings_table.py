"""The README's settings table lists every ``BOLT_*`` setting the code reads, and no other.

The names come from the sources of the four packages: every string constant that is a whole
``BOLT_*`` name (``getattr(settings, "BOLT_X", ...)``, ``os.environ.get("BOLT_X")``,
``_SETTING = "BOLT_X"``) and every ``settings.BOLT_X`` attribute. Two environment variables
are Bolt's own plumbing, not settings: the supervisor's link to its children and the
benchmark's ablation switch.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).parents[3]
SOURCES = sorted((ROOT / "packages").glob("*/src/**/*.py")) + sorted(
    (ROOT / "packages" / "bolt-rust" / "python").glob("**/*.py")
)
#: Set by Bolt for Bolt: never by a user.
INTERNAL = {"BOLT_SUPERVISOR", "BOLT_ABLATE"}
_NAME = re.compile(r"BOLT_[A-Z][A-Z0-9_]*")


def names_read_by_the_code() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if _NAME.fullmatch(node.value):
                    found.add(node.value)
            elif (
                isinstance(node, ast.Attribute)
                and _NAME.fullmatch(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id == "settings"
            ):
                found.add(node.attr)
    return found - INTERNAL


def names_in_the_readme_table() -> set[str]:
    text = (ROOT / "README.md").read_text()
    table = text.split("### Settings", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `BOLT_")]
    return {line.split("`")[1] for line in rows}


def test_the_sources_are_found() -> None:
    assert len(SOURCES) > 50
    assert "BOLT_API" in names_read_by_the_code()


def test_every_setting_the_code_reads_is_in_the_readme() -> None:
    missing = names_read_by_the_code() - names_in_the_readme_table()
    assert not missing, f"README.md's settings table lacks {sorted(missing)}"


def test_the_readme_lists_no_setting_the_code_does_not_read() -> None:
    stale = names_in_the_readme_table() - names_read_by_the_code()
    assert not stale, f"README.md's settings table lists {sorted(stale)}, which nothing reads"
