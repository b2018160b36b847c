"""Non-finite results never look complete (issue 11, item 3).

Every run checks every output for NaN and infinity and stops, naming the variable, its
labels, the member and the first quarter; the CLI then writes nothing.
"""

from __future__ import annotations

import numpy as np
import pytest

import casim
from casim import economy
from casim.interventions import Intervention
from casim.outputs import NonFiniteResult, check_finite
from casim.spec import RunSpec
from helpers import assert_clean, invoke, tiny_scenario


def test_check_finite_names_the_earliest_quarter_across_outputs():
    data = {
        "alignment": np.zeros((3, 6, 5, 6), np.float32),
        "gdp_index": np.ones((3, 6, 5), np.float32),
    }
    data["alignment"][2, 4, 1, 0] = np.nan
    data["gdp_index"][1, 3, 4] = np.inf
    with pytest.raises(NonFiniteResult) as caught:
        check_finite(data, np.array([10, 11, 12]), [f"q{k}" for k in range(6)], "probe")
    message = str(caught.value)
    assert "gdp_index[state=Uzbekistan]" in message and "member 11" in message and "quarter 3 (q3)" in message
    check_finite({"alignment": np.zeros((1, 2, 5, 6), np.float32)}, np.array([0]), ["a", "b"], "ok")


def test_a_run_that_goes_non_finite_raises_instead_of_returning(params):
    """Through the API (which skips scenario validation) an emptied anchor divides by zero."""
    spec = RunSpec(params, horizon=4, interventions=(Intervention("anchor", "set", 0.0, start=2),))
    with pytest.raises(NonFiniteResult, match=r"alignment\[state=Kazakhstan, pole=Russia\].*quarter 2"):
        casim.simulate(spec, members=3)


def test_non_finite_in_some_members_stops_the_cli_and_writes_nothing(tmp_path, monkeypatch):
    """One member going NaN at quarter 2 (injected into GDP) must not be averaged away."""
    original = economy.advance_gdp

    def poisoned(world, params, *args):
        growth = original(world, params, *args)
        if world.quarter == 1 and world.log_gdp.shape[0] > 1:
            world.log_gdp[1, 2] = np.nan
        return growth

    monkeypatch.setattr(economy, "advance_gdp", poisoned)
    out = tmp_path / "run"
    result = invoke("run", tiny_scenario(tmp_path, horizon=4, members=3), "--no-plots", "--out", out)
    assert_clean(result, 1, "gdp_index[state=Tajikistan]", "member 1", "nothing was written")
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name or p.name.endswith(".lock")]


def test_valid_library_scenarios_stay_finite_at_the_edges_of_their_ranges(tmp_path):
    """The clip bounds of every target keep even extreme but valid changes finite."""
    path = tiny_scenario(
        tmp_path,
        horizon=6,
        members=3,
        extra="  - {variable: flow, op: set, value: 2, at: 2}\n  - {variable: effort, op: multiply, value: 10, at: 2}\n"
        "  - {variable: anchor, op: set, value: 0, at: 2, powers: [Russia, China, EU, US, Turkey]}\n",
    )
    ds = casim.simulate(path)
    assert all(np.isfinite(ds[v].values).all() for v in ds.data_vars)
