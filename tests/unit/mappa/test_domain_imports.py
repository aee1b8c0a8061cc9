"""The MAPPA domain modules import each other without a cycle.

``nominal`` and ``reviews`` used to import each other (``reviews`` under ``TYPE_CHECKING``):
what both need, the review clock, lives in ``schedule`` now. Imports are read from the source
(every ``import``, including those under ``if TYPE_CHECKING:``), so a cycle hidden from the
runtime still fails here.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import services.mappa.domain as domain

PACKAGE = "services.mappa.domain"
DOMAIN_DIR = Path(domain.__file__).parent
MODULES = sorted(p.stem for p in DOMAIN_DIR.glob("*.py") if p.stem != "__init__")


def _domain_imports(module: str) -> set[str]:
    tree = ast.parse((DOMAIN_DIR / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:  # from services.mappa.domain import events
                found |= {alias.name for alias in node.names}
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module.removeprefix(PACKAGE + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    found.add(alias.name.removeprefix(PACKAGE + ".").split(".")[0])
    return found & set(MODULES)


def test_the_domain_import_graph_has_no_cycle() -> None:
    graph = {module: _domain_imports(module) for module in MODULES}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        if module in path:
            cycle = " -> ".join((*path[path.index(module) :], module))
            pytest.fail(f"import cycle: {cycle}")
        if module in done:
            return
        for imported in sorted(graph[module]):
            visit(imported, (*path, module))
        done.add(module)

    for module in MODULES:
        visit(module, ())


def test_nominal_and_reviews_share_the_clock_through_schedule() -> None:
    assert "reviews" not in _domain_imports("nominal")
    assert "schedule" in _domain_imports("nominal")
    assert "nominal" in _domain_imports("reviews")


@pytest.mark.parametrize("module", MODULES)
def test_each_module_imports_alone(module: str) -> None:
    # A fresh interpreter per module, so the import order of this test run cannot hide a cycle.
    result = subprocess.run(
        [sys.executable, "-c", f"import {PACKAGE}.{module}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    importlib.import_module(f"{PACKAGE}.{module}")
