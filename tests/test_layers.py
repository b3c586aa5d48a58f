"""The house rule: imports run one way, tools -> products -> shared base, never back up.

Read from the source (every import statement, also those inside functions), so a lazy import cannot
hide an arrow that points the wrong way.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# package -> floor; an import may go to the same package, or to a package on a lower floor.
FLOORS = {
    "dms": 0,
    "native": 0,
    "models": 0,  # shared base: contract, errors, settings, kernels, model files
    "edge": 1,
    "gateway": 1,  # products: the vehicle, the back office's ingest and API
    "dealer_portal": 2,  # the portal builds on the back office's database and API
    "tools": 3,
    "benchmarks": 3,
    "firmware_config": 3,
    "scripts": 3,  # tools: they use the products
}
# Products on one floor do not use each other: the vehicle and the back office meet only in the contract.
APART = {frozenset({"edge", "gateway"}), frozenset({"edge", "dealer_portal"})}


def _modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []


def _import_module_strings(tree: ast.AST) -> list[str]:
    """Literal names given to importlib.import_module / __import__."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append(node.args[0].value)
    return found


def _sources():
    for package in FLOORS:
        folder = ROOT / package
        if folder.is_dir():
            for path in sorted(folder.rglob("*.py")):
                if "migrations" not in path.parts or path.name == "env.py":
                    yield package, path


def test_no_import_runs_back_up_the_layers():
    wrong = []
    for package, path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            for module in _modules(node):
                target = module.split(".")[0]
                if target not in FLOORS or target == package:
                    continue
                if FLOORS[target] > FLOORS[package] or frozenset({package, target}) in APART:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {module}")
    assert wrong == []


def test_the_project_never_imports_its_own_modules_by_name():
    by_name = []
    for _, path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        by_name += [
            f"{path.relative_to(ROOT)}: {name}"
            for name in _import_module_strings(tree)
            if name.split(".")[0] in FLOORS
        ]
    assert by_name == []


def test_the_rule_sees_a_wrong_arrow(tmp_path):
    """The checker itself: an upward import inside a function is found."""
    tree = ast.parse("def f():\n    from tools.demo import demo\n")
    assert [m for n in ast.walk(tree) for m in _modules(n)] == ["tools.demo"]
    assert _import_module_strings(ast.parse("import importlib\nimportlib.import_module('edge.cli')\n")) == [
        "edge.cli"
    ]
