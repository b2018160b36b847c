"""The compiled citizens kernel gives exactly the NumPy path's numbers (NumPy is the reference)."""

from __future__ import annotations

import numpy as np
import pytest

from casim import kernels
from casim.model import CentralAsiaModel
from casim.spec import RunSpec

pytestmark = pytest.mark.skipif(
    not kernels.available(), reason="Numba is not installed (pip install 'casim[analysis]')"
)


@pytest.mark.parametrize("neighbours", [2, 4, 6])
def test_kernel_and_numpy_agree_bit_for_bit_over_a_run(params, neighbours):
    """Parameters drawn per member (adaptation and peer weight differ by member) and every ring width."""
    spec = RunSpec(params.with_overrides({"citizens.neighbours": neighbours}), horizon=10, sample_ranges=True)
    numpy_run = CentralAsiaModel(spec, members=7, seed=5, kernel=False)
    compiled = CentralAsiaModel(spec, members=7, seed=5, kernel=True)
    assert compiled.citizens.kernel and not numpy_run.citizens.kernel
    a, b = numpy_run.run(), compiled.run()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    np.testing.assert_array_equal(numpy_run.citizens.favourability, compiled.citizens.favourability)
    np.testing.assert_array_equal(numpy_run.citizens._totals, compiled.citizens._totals)


def test_the_choice_follows_the_ensemble_size_and_the_environment(monkeypatch):
    monkeypatch.delenv(kernels.ENV, raising=False)
    assert kernels.wanted(kernels.KERNEL_FROM) and not kernels.wanted(kernels.KERNEL_FROM - 1)
    monkeypatch.setenv(kernels.ENV, "numpy")
    assert not kernels.wanted(10**6)
    monkeypatch.setenv(kernels.ENV, "numba")
    assert kernels.wanted(1)


def test_ensembles_are_identical_whichever_path_runs(params, monkeypatch):
    import casim

    spec = RunSpec(params, horizon=6)
    monkeypatch.setenv(kernels.ENV, "numpy")
    a = casim.simulate(spec, members=12, seed=2)
    monkeypatch.setenv(kernels.ENV, "numba")
    b = casim.simulate(spec, members=12, seed=2)
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
