"""Shared fixtures: the baseline parameters and short runs reused across tests."""

from __future__ import annotations

import pytest

from casim.api import simulate
from casim.paramfile import load_parameters
from casim.spec import RunSpec


@pytest.fixture(scope="session")
def params():
    """The packaged baseline parameter set."""
    return load_parameters()


@pytest.fixture(scope="session")
def baseline_spec(params):
    """A 12-quarter baseline run specification with parameters at their values."""
    return RunSpec(params, horizon=12, sample_ranges=False)


@pytest.fixture(scope="session")
def baseline_small(baseline_spec):
    """A 12-quarter, 16-member baseline ensemble (seed 11)."""
    return simulate(baseline_spec, members=16, seed=11)
