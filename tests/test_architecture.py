"""The house's layering, read from the source with `ast` (no import is executed):

- the core (`registry`) imports nothing above it;
- the shared web layer (`web`, except the app factory `web.app`) imports only the core;
- the features (`publishing`, `resolver`, `opendata`) import the core and the web layer, never
  each other: a commit reaches the dumps through a signal, not an import;
- only `web.app` and `ops` put the features together;
- no module imports a private (`_name`) from another package;
- no import cycles between modules, counting imports inside functions too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("registry", "web", "publishing", "resolver", "opendata", "ops")
FEATURES = frozenset({"publishing", "resolver", "opendata"})
# May a module of package (or module) `who` import from package `whom`?
ALLOWED = {
    "registry": {"registry"},
    "web": {"registry", "web"},
    "publishing": {"registry", "web", "publishing"},
    "resolver": {"registry", "web", "resolver"},
    "opendata": {"registry", "web", "opendata"},
    "web.app": {"registry", "web", *FEATURES},
    "ops": {"registry", "web", *FEATURES, "ops"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def application_modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def imports_of(name: str, path: Path) -> Iterator[tuple[str, str, int]]:
    """(imported module, imported name or "", line) for every import in the file."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = name.split(".")
                if not is_package:
                    base = base[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([module] if module else []))
            for alias in node.names:
                yield module, alias.name, node.lineno


def project_edges() -> Iterator[tuple[str, str, str, int]]:
    """(importer, imported module, imported name, line), project modules only. `from pkg import
    mod` is an edge to `pkg.mod` when that is a module."""
    modules = application_modules()
    for name, path in modules.items():
        for module, imported, line in imports_of(name, path):
            if module.split(".")[0] not in PACKAGES:
                continue
            if f"{module}.{imported}" in modules:
                module, imported = f"{module}.{imported}", ""
            yield name, module, imported, line


def rule_for(module: str) -> str:
    return module if module in ALLOWED else module.split(".")[0]


def test_packages_import_only_what_lies_below_them():
    wrong = [f"{who}:{line} imports {whom}"
             for who, whom, _, line in project_edges()
             if whom.split(".")[0] not in ALLOWED[rule_for(who)]]
    assert wrong == []


def test_no_module_imports_a_private_name_from_another_package():
    wrong = [f"{who}:{line} imports {whom}.{name}"
             for who, whom, name, line in project_edges()
             if name.startswith("_") and whom.split(".")[0] != who.split(".")[0]]
    assert wrong == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module, or a self-import."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in graph:
                    continue
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in graph[node]:
                        found.append(sorted(component))
    return found


def import_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in application_modules()}
    for who, whom, _, _ in project_edges():
        if whom in graph:
            graph[who].add(whom)
    return graph


def test_no_import_cycles_between_modules():
    assert strongly_connected(import_graph()) == []


@pytest.mark.parametrize(("graph", "cycles"), [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"a"}}, [["a"]]),
])
def test_the_cycle_finder_finds_cycles(graph, cycles):
    assert strongly_connected(graph) == cycles


def test_the_layering_rules_would_catch_an_upward_import():
    """The rule table refuses what the house forbids (so a passing run means something)."""
    assert "web" not in ALLOWED["registry"]
    assert "opendata" not in ALLOWED[rule_for("publishing.api")]
    assert "resolver" in ALLOWED[rule_for("web.app")]
    assert "resolver" not in ALLOWED[rule_for("web.conneg")]


def test_no_application_module_is_over_500_lines():
    long = {name: n for name, path in application_modules().items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500}
    assert long == {}
