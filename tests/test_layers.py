"""Architecture: the model core imports no CLI, plotting, scenario parsing or file formats."""

from __future__ import annotations

import ast
from pathlib import Path

import casim
from helpers import CORE

FORBIDDEN = {
    "typer",
    "click",
    "matplotlib",
    "yaml",
    "xarray",
    "h5netcdf",
    "pydantic",
    "json",
    "csv",
    "pandas",
    "solara",
    "rich",
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_core_modules_import_only_the_core():
    package = Path(casim.__file__).parent
    for name in CORE:
        for module in _imports(package / f"{name}.py"):
            top = module.split(".")[0]
            assert top not in FORBIDDEN, f"casim.{name} imports {module}"
            if top == "casim" and module != "casim":
                assert module.split(".")[1] in CORE, f"casim.{name} imports the upper-layer module {module}"


def test_core_modules_are_of_a_readable_size():
    package = Path(casim.__file__).parent
    for path in package.glob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 700, f"{path.name} has {lines} lines; split it by concept"
