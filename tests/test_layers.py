"""Architecture: the model core imports no CLI, plotting, scenario parsing or file formats."""

from __future__ import annotations

import ast
import functools
import re
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


#: Deliberate exceptions, each with its reason: ``CentralAsiaModel()`` without a spec loads
#: the shipped baseline parameters (deferred import, only on that path).
ALLOWED = {("model", "casim.paramfile")}
PACKAGE = Path(casim.__file__).parent


def test_core_modules_import_only_the_core():
    for name in CORE:
        for module in _imports(PACKAGE / f"{name}.py"):
            top = module.split(".")[0]
            assert top not in FORBIDDEN, f"casim.{name} imports {module}"
            if top == "casim" and module != "casim" and (name, module) not in ALLOWED:
                assert module.split(".")[1] in CORE, f"casim.{name} imports the upper-layer module {module}"


@functools.cache
def _sources() -> dict[str, str]:
    return {path.stem: path.read_text(encoding="utf-8") for path in PACKAGE.glob("*.py")}


@functools.cache
def _from_imports() -> dict[str, set[tuple[str, str]]]:
    """Per module, every ``from MODULE import NAME`` pair (at any depth)."""
    return {
        stem: {
            (node.module, alias.name)
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.ImportFrom) and node.module
            for alias in node.names
        }
        for stem, text in _sources().items()
    }


def _modules_matching(pattern: str) -> set[str]:
    regex = re.compile(pattern, re.MULTILINE)
    return {stem for stem, text in _sources().items() if regex.search(text)}


def _importers(module: str, name: str) -> set[str]:
    return {stem for stem, pairs in _from_imports().items() if (module, name) in pairs}


def test_one_pair_runner():
    """Scenarios run against their paired baselines in casim.experiment only, which every command uses."""
    assert _modules_matching(r"\.baseline_runspec\(") == {"experiment"}
    assert {"compare", "explain", "app", "check"} <= _importers("casim.experiment", "run_experiment")
    # report runs through explain; run through results_folder.execute
    assert "report" in _importers("casim.explain", "explain")
    assert "results_folder" in _importers("casim.experiment", "run_experiment")


def test_one_manifest_builder_and_one_folder_writer():
    """Manifests are built in casim.results_folder only; files and folders renamed into place in casim.folders."""
    assert _modules_matching(r"^def build_manifest\(") == {"results_folder"}
    assert _modules_matching(r"\"casim_version\"") <= {"results_folder", "api"}  # manifest; dataset attributes
    renames = r"os\.replace\(|\.replace\(target\)|shutil\.move\(|os\.rename\(|Path\([^)]*\)\.rename\("
    assert _modules_matching(renames) == {"folders"}
    readers = ("read_run", "read_contents", "execute")
    users = set().union(*(_importers("casim.results_folder", name) for name in readers))
    assert {"compare", "report", "cli_run"} <= users
    writers = set().union(*(_importers("casim.folders", name) for name in ("atomic_folder", "write_text_atomic")))
    assert {"results_folder", "report", "cli_analysis"} <= writers


def test_one_peak_quarter():
    assert _modules_matching(r"^def peak_quarter\(") == {"results"}
    assert {"app", "report", "explain"} <= _importers("casim.results", "peak_quarter")


def test_core_modules_are_of_a_readable_size():
    for path in PACKAGE.glob("*.py"):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= 700, f"{path.name} has {lines} lines; split it by concept"
