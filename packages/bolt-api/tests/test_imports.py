"""bolt_api's modules import one another without cycles, and the server wing stays apart.

The graph is read from the source with ``ast``: every import a module executes, at module
level or inside a function — a deferred import is still a dependency, and one that hides a
cycle — but not those under ``if TYPE_CHECKING:``, which never run. Importing a module also
runs the ``__init__`` of each package on its path (``bolt_api.openapi`` for
``bolt_api.openapi.config``), except the importer's own packages, which are running already.

Importing each module "in isolation" would add nothing to this: whichever submodule is
imported first, Python runs ``bolt_api/__init__`` before it, so the order is always the same.
What a fresh interpreter does show is that every module imports at all
(:func:`test_every_module_imports`).
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = "bolt_api"
SERVER = f"{PACKAGE}.server"

#: Cycles that exist on purpose, each with its reason. Keep it empty; an entry needs a reason
#: as good as "it cannot be otherwise". (The last one, _app <-> openapi through a
#: function-level import in openapi/schema.py, went when the schema read the return type from
#: RouteEntry.)
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _root() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations)))


def _modules() -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is a package)}`` for every module of the package."""
    root = _root()
    found: dict[str, tuple[Path, bool]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(root).with_suffix("").parts]
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _executed_imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node`` that can run: ``if TYPE_CHECKING:`` bodies
    left out."""
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
        return
    if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
        children: list[ast.AST] = list(node.orelse)
    else:
        children = list(ast.iter_child_nodes(node))
    for child in children:
        yield from _executed_imports(child)


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def import_graph() -> dict[str, set[str]]:
    """``{module: the modules of the package its importing runs}``."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _executed_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:  # a submodule by name, else a name from `base`
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
        edges: set[str] = set()
        own = set(_ancestors(name))
        for target in targets:
            if target not in modules or target == name:
                continue
            edges.add(target)
            edges.update(p for p in _ancestors(target) if p not in own and p in modules)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _show(cycle: frozenset[str]) -> str:
    return " <-> ".join(sorted(cycle))


def test_the_graph_sees_real_imports() -> None:
    """A guard on the reader itself: known edges are found, TYPE_CHECKING ones are not."""
    graph = import_graph()
    assert f"{SERVER}._serve" in graph["bolt_api.server._supervisor"]
    assert f"{SERVER}._link" in graph[f"{SERVER}._serve"]
    assert "bolt_api._view_routes" in graph["bolt_api._app"]  # a function-level import
    assert "bolt_api._app" not in graph["bolt_api.openapi.views"]  # under TYPE_CHECKING only
    assert "bolt_api.openapi" in graph["bolt_api._app"]  # its __init__ runs first


def test_no_import_cycle_but_the_known_ones() -> None:
    found = cycles(import_graph())
    for cycle in sorted(found - KNOWN_CYCLES.keys(), key=sorted):
        print("import cycle:", _show(cycle))
    for cycle, why in KNOWN_CYCLES.items():
        print("known import cycle:", _show(cycle), "--", why)
    assert found - KNOWN_CYCLES.keys() == set(), "new import cycles (printed above)"
    stale = KNOWN_CYCLES.keys() - found
    assert not stale, f"no longer cycles, remove them from KNOWN_CYCLES: {stale}"


def test_the_server_wing_has_no_cycle() -> None:
    """Whatever the rest of bolt_api does, no module of the wing is on a cycle."""
    wing = [c for c in cycles(import_graph()) if any(m.startswith(SERVER) for m in c)]
    assert wing == []


def test_only_the_package_entry_points_import_the_server_wing() -> None:
    """The core knows no sockets: in bolt_api, only ``__init__`` (for ``serve``) and
    ``__main__`` import the wing."""
    importers = {
        name
        for name, targets in import_graph().items()
        if not name.startswith(SERVER) and any(t.startswith(SERVER) for t in targets)
    }
    assert importers == {PACKAGE, f"{PACKAGE}.__main__"}


def test_every_module_imports() -> None:
    """Each module imports in a fresh interpreter (``__main__`` aside: it runs the CLI)."""
    names = sorted(n for n in _modules() if not n.endswith(".__main__"))
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)"
    result = subprocess.run(
        [sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, set()),
        ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, {frozenset({"a", "b"})}),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}}, {frozenset({"a", "b", "c"})}),
    ],
)
def test_cycles_finds_strongly_connected_components(
    graph: dict[str, set[str]], expected: set[frozenset[str]]
) -> None:
    assert cycles(graph) == expected


def _drawn_wing_graph() -> dict[str, set[str]]:
    """The layered drawing in ``bolt_api.server``'s docstring, as a graph."""
    import bolt_api.server

    doc = bolt_api.server.__doc__ or ""
    drawing = doc.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    drawn: dict[str, set[str]] = {}
    current = ""
    for line in drawing.splitlines():
        name, _, rest = line.strip().partition(" ")
        if line.startswith("    _"):
            current = f"{SERVER}.{name}"
            drawn[current] = set()
            rest = rest.partition("->")[2]
        else:
            rest = line
        drawn[current].update(f"{SERVER}.{target}" for target in rest.split())
    return drawn


def test_the_wing_is_drawn_as_it_is() -> None:
    """The drawing in ``bolt_api.server``'s docstring is the wing's real import graph, and
    each module there imports only modules drawn below it."""
    graph = import_graph()
    wing = {
        name: {t for t in targets if t.startswith(f"{SERVER}.")}
        for name, targets in graph.items()
        if name.startswith(f"{SERVER}.")
    }
    drawn = _drawn_wing_graph()
    assert drawn == wing
    order = list(drawn)
    for name, targets in drawn.items():
        assert all(order.index(t) > order.index(name) for t in targets), name
