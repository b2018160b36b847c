"""Regression: every library scenario gives the results recorded in tests/data (a small run of each).

The snapshot was made before the refactoring of issue 10 (with the runner it replaced, whose
results ``casim.experiment.run_experiment`` reproduces bit for bit) and is updated only by
deliberate model changes (``python tests/test_regression.py --update``, with the reason in the commit).
On a machine with the same CPU features and NumPy version as the snapshot, every output must
be bit-identical (sha256 of its bytes); elsewhere NumPy's vectorised functions may round
differently in the last bit, so stored values of the headline outputs are compared to
float32 precision instead.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
SNAPSHOT, VALUES = HERE / "data" / "regression.json", HERE / "data" / "regression.npz"
LIBRARY = HERE.parent / "scenarios"
HEADLINE = ("alignment", "gdp_index", "favourability", "remittances_usd", "threat")
MEMBERS, SEED, HORIZON = 3, 7, 8


def platform_key() -> dict:
    """What decides whether results can be compared bit for bit."""
    from numpy._core._multiarray_umath import __cpu_features__

    return {"numpy": np.__version__, "cpu": sorted(k for k, on in __cpu_features__.items() if on)}


def scenario_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.yaml"))


def small_run(path: Path):
    """The paired ensemble of a short run of a library scenario."""
    from casim.experiment import run_experiment
    from casim.scenario import load_scenario

    scenario = load_scenario(path).resolved(horizon=HORIZON)
    return run_experiment(scenario, members=MEMBERS, seed=SEED, executor="serial").paired


def digests(paired) -> dict[str, str]:
    names = sorted(str(n) for n, da in paired.data_vars.items() if "case" in da.dims)
    return {n: hashlib.sha256(np.ascontiguousarray(paired[n].values).tobytes()).hexdigest()[:20] for n in names}


def update() -> None:
    hashes, values = {}, {}
    for path in scenario_files():
        key = str(path.relative_to(LIBRARY).with_suffix(""))
        paired = small_run(path)
        hashes[key] = digests(paired)
        for name in HEADLINE:
            values[f"{key}/{name}"] = paired[name].values
    SNAPSHOT.write_text(json.dumps({"platform": platform_key(), "hashes": hashes}, indent=1, sort_keys=True))
    np.savez_compressed(VALUES, **values)


@pytest.fixture(scope="module")
def snapshot():
    return json.loads(SNAPSHOT.read_text()), np.load(VALUES)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: str(p.relative_to(LIBRARY).with_suffix("")))
def test_every_library_scenario_reproduces_its_snapshot(path, snapshot):
    recorded, values = snapshot
    key = str(path.relative_to(LIBRARY).with_suffix(""))
    assert key in recorded["hashes"], f"no snapshot for {key}: python tests/test_regression.py --update"
    paired = small_run(path)
    if recorded["platform"] == platform_key():
        assert digests(paired) == recorded["hashes"][key], "results changed: bit-identity is broken"
    for name in HEADLINE:
        np.testing.assert_allclose(paired[name].values, values[f"{key}/{name}"], rtol=2e-5, atol=1e-7, err_msg=name)


if __name__ == "__main__" and "--update" in sys.argv:
    update()
    print(f"snapshot of {len(scenario_files())} scenarios written to {SNAPSHOT.parent}")
