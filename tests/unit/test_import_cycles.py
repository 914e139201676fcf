"""core/ and bot/ import each other in one direction only: no import cycle, not even one hidden by an import inside
a function or under TYPE_CHECKING, and no dispatch to modules named by strings."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "bot")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(path): ast.parse(path.read_text(encoding="utf-8"))
            for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def imported(tree: ast.Module, known: set[str]) -> Iterator[str]:
    """Every project module the tree imports, wherever the import statement stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if name in known:
                    yield name
                elif node.module in known:
                    yield node.module


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (and modules importing themselves)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_of_core_or_bot_is_part_of_an_import_cycle() -> None:
    trees = modules()
    known = set(trees)
    graph = {name: {t for t in imported(tree, known) if t != name and not name.startswith(f"{t}.")}
             for name, tree in trees.items()}
    assert cycles(graph) == []


def test_the_cycle_check_sees_a_cycle_through_an_import_inside_a_function() -> None:
    lazy = ast.parse("def f():\n    from core.b import g\n")
    assert set(imported(lazy, {"core.a", "core.b"})) == {"core.b"}
    assert cycles({"core.a": {"core.b"}, "core.b": {"core.a"}, "core.c": set()}) == [["core.a", "core.b"]]


def test_nothing_in_core_or_bot_imports_a_module_named_by_a_string() -> None:
    offenders = sorted(name for name, tree in modules().items() if "importlib" in set(imported(tree, {"importlib"})))
    assert offenders == []
