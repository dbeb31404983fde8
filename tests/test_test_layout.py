"""The tests' own layout: a test module imports no other test module and no conftest. What
several share lives in tests/support/ (builders, stores, servers, browser helpers) and reaches
tests as an import from there or as a fixture of tests/conftest.py; pytest, not an import,
brings in conftest. The benchmarks (bench/) likewise take only tests/support/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
MODULES = sorted([*TESTS.glob("test_*.py"), *TESTS.glob("support/*.py"),
                  *(ROOT / "bench").glob("*.py")])


def imported_modules(source: str, package: tuple[str, ...]) -> set[str]:
    """Every module `source` imports, as a dotted name from the project root; `package` is the
    importing module's package (`("tests",)`), against which relative imports resolve."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            # `from tests import test_x` names the module in the alias.
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def forbidden(modules: set[str]) -> set[str]:
    """The test modules and conftests of tests/ among `modules` (`tests.test_x.name` is
    `tests.test_x`)."""
    found = set()
    for module in modules:
        parts = module.split(".")
        if parts[0] == "tests" and len(parts) > 1 and (
                parts[1].startswith("test_") or parts[1] == "conftest"):
            found.add(".".join(parts[:2]))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_a_test_module_or_conftest(path):
    package = path.parent.relative_to(ROOT).parts
    wrong = sorted(forbidden(imported_modules(path.read_text(encoding="utf-8"), package)))
    assert not wrong, (f"{path.relative_to(ROOT)} imports {wrong}: move what is shared into "
                       "tests/support/ (or a fixture in tests/conftest.py)")


def test_the_check_sees_each_way_of_importing():
    in_tests = ("from .test_x import a\nfrom tests.test_y import b\nfrom . import test_z\n"
                "import tests.conftest\nfrom .support.stores import BASE\n"
                "import tests.support.builders\n")
    assert forbidden(imported_modules(in_tests, ("tests",))) == {
        "tests.test_x", "tests.test_y", "tests.test_z", "tests.conftest"}
    in_support = "from ..test_w import c\nfrom .stores import BASE\n"
    assert forbidden(imported_modules(in_support, ("tests", "support"))) == {"tests.test_w"}
