"""The package's import graph, read from the source with :mod:`ast` (nothing is imported).

Every ``import`` statement counts, at module level or inside a function (a deferred import is
still a dependency; deferring is how cycles hide), except under ``if TYPE_CHECKING:``.  Nodes are module names (``ambidex.x.y``,
``ambidex.x`` for a package's ``__init__``); implicit parent-package imports are not edges.
Used by the architecture test (no cycles) and by ``docs/reference/architecture.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _runtime_nodes(tree):
    """Every node except the bodies of ``if TYPE_CHECKING:`` blocks (type hints only: never
    imported at run time, so they cannot make a cycle)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def import_graph(package_dir: Path = PACKAGE_DIR) -> nx.DiGraph:
    """Directed graph module -> module it imports (within the package)."""
    files = {_module_name(p, package_dir): p for p in package_dir.rglob("*.py")}
    pkg = package_dir.name
    g = nx.DiGraph()
    g.add_nodes_from(files)
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        here = mod.split(".") if is_pkg else mod.split(".")[:-1]
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here[:len(here) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                # ``from pkg import sub`` depends on pkg.sub (a module), else on pkg itself
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                           for a in node.names]
            for t in targets:
                if not (t == pkg or t.startswith(pkg + ".")):
                    continue
                while t and t not in files:  # a name inside a module: the module
                    t = t.rpartition(".")[0]
                if t and t != mod:
                    g.add_edge(mod, t)
    return g


def cycles(g: nx.DiGraph | None = None) -> list[list[str]]:
    """The strongly connected groups of more than one module (each holds at least one cycle),
    sorted; empty when the graph has no cycle."""
    g = import_graph() if g is None else g
    return sorted(sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1)
