"""Reading parameter files (YAML) into a validated :class:`~casim.parameters.ParameterSet`.

The baseline file ships inside the package (``casim/data/baseline.yaml``); a user may
point casim at a copy with changes. Errors name the file, the line and the parameter.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from pathlib import Path

from casim.errors import CasimError
from casim.parameters import ParameterError, ParameterSet
from casim.yamlsrc import line_of, load_yaml

BASELINE = "baseline.yaml"


def baseline_path() -> Path:
    """Path of the packaged baseline parameter file."""
    return Path(str(resources.files("casim") / "data" / BASELINE))


def load_parameters(path: str | Path | None = None) -> ParameterSet:
    """Load and validate a parameter file (default: the packaged baseline).

    Raises:
        CasimError: with file, line and parameter when the file is invalid.
    """
    if path is None:
        return _baseline()
    return _load(Path(path))


@functools.lru_cache(maxsize=1)
def _baseline() -> ParameterSet:
    return _load(baseline_path())


def _load(path: Path) -> ParameterSet:
    doc = load_yaml(path)
    try:
        return ParameterSet.from_mapping(doc, origin=str(path))
    except ParameterError as err:
        line, col = line_of(doc, ["parameters", *err.path.split(".")]) if err.path else (1, 1)
        raise CasimError(
            str(path), line, col, err.path or "parameters", err.detail, suggestion=err.suggestion
        ) from None


def parameter_hash(params: ParameterSet) -> str:
    """A short hash of every parameter's value and range, for manifests."""
    digest = hashlib.sha256()
    for p in params:
        digest.update(p.path.encode())
        digest.update(p.value.tobytes())
        digest.update(p.low.tobytes())
        digest.update(p.high.tobytes())
    return digest.hexdigest()[:16]
