"""Randomness only through per-member streams: reproducibility and batch independence."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import casim
from casim.api import simulate
from casim.interventions import Intervention
from casim.model import CentralAsiaModel
from casim.rng import member_generator
from casim.spec import RunSpec


def _equal(a: xr.Dataset, b: xr.Dataset) -> bool:
    return all(np.array_equal(a[v].values, b[v].values, equal_nan=True) for v in a.data_vars)


def test_member_stream_is_child_k_of_the_seed():
    spawned = np.random.SeedSequence(42).spawn(5)[3]
    direct = member_generator(42, 3)
    assert np.array_equal(np.random.Generator(np.random.PCG64(spawned)).random(4), direct.random(4))


def test_same_seed_identical_other_seed_different(baseline_spec):
    a = simulate(baseline_spec, members=4, seed=3)
    b = simulate(baseline_spec, members=4, seed=3)
    c = simulate(baseline_spec, members=4, seed=4)
    assert _equal(a, b)
    assert not np.array_equal(a.alignment.values, c.alignment.values)


def test_member_k_of_an_ensemble_equals_a_lone_run_of_member_k(baseline_spec):
    whole = simulate(baseline_spec, members=9, seed=21)
    for k in (0, 4, 8):
        alone = simulate(baseline_spec, members=[k], seed=21)
        assert _equal(whole.sel(member=[k]), alone), k


def test_two_halves_equal_the_whole_for_1000_members(params):
    spec = RunSpec(params, horizon=6, sample_ranges=True)
    whole = simulate(spec, members=1000, seed=5)
    first = simulate(spec, members=range(500), seed=5)
    second = simulate(spec, members=range(500, 1000), seed=5)
    assert _equal(whole, xr.concat([first, second], dim="member"))


def test_chunk_size_and_executor_do_not_change_results(params):
    random_event = Intervention("crisis", "add", 0.2, probability=0.2, duration=2, states=("Kyrgyzstan",))
    spec = RunSpec(params, horizon=8, interventions=(random_event,), sample_ranges=True)
    reference = simulate(spec, members=40, seed=9, chunk_size=40)
    assert _equal(reference, simulate(spec, members=40, seed=9, chunk_size=7))
    assert _equal(reference, simulate(spec, members=40, seed=9, chunk_size=13, executor="processes", workers=2))


def test_no_global_random_state_is_used(baseline_spec):
    """Reseeding or drawing from numpy's and Python's global generators changes nothing."""
    import random

    np.random.seed(0)
    random.seed(0)
    a = CentralAsiaModel(baseline_spec, members=3, seed=8).run()["alignment"]
    np.random.seed(999)
    np.random.random(1000)
    random.seed(999)
    b = CentralAsiaModel(baseline_spec, members=3, seed=8).run()["alignment"]
    np.testing.assert_array_equal(a, b)


def test_batch_size_never_changes_a_member(params):
    """Every output of members 0-2 is bitwise the same in batches of 1, 2, 3, 7 and 16."""
    events = (
        Intervention("crisis", "add", 0.3, probability=0.3, duration=2),
        Intervention("flow", "multiply", 0.5, start=2, ramp=2, channels=("remittances",), powers=("Russia",)),
    )
    spec = RunSpec(params, horizon=6, interventions=events, sample_ranges=True)
    alone = [CentralAsiaModel(spec, members=[k], seed=13).run() for k in range(3)]
    for n in (2, 3, 7, 16):
        batch = CentralAsiaModel(spec, members=n, seed=13).run()
        for k in range(min(n, 3)):
            for name, arr in alone[k].items():
                assert np.array_equal(batch[name][k], arr[0], equal_nan=True), (n, k, name)


def test_mesa_shared_generators_cannot_be_used(baseline_spec):
    """model.random and model.rng would bypass the per-member streams: any use raises."""
    model = CentralAsiaModel(baseline_spec, members=2, seed=1)
    with pytest.raises(RuntimeError, match="per-member streams"):
        model.random.random()
    with pytest.raises(RuntimeError, match="per-member streams"):
        model.rng.normal()
    model.step()  # the model itself never touches them


def test_no_module_draws_from_shared_or_global_generators():
    """A scan of the package: no global numpy/stdlib draws, no Mesa generator."""
    package = Path(casim.__file__).parent
    pattern = re.compile(
        r"\bnp\.random\.(?!Generator|PCG64|SeedSequence|default_rng)\w+\(|\bimport random\b|"
        r"\b(?:self|model|m)\.(?:random|rng)\."
    )
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in package.glob("*.py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, found
