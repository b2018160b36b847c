"""The Mesa model: its agents, the start the sources describe, alignment on the simplex."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casim.agents import PowerAgent, StateAgent
from casim.model import CentralAsiaModel
from casim.names import POWERS, STATES
from casim.spec import RunSpec


def test_model_is_mesa_with_five_states_and_five_powers(baseline_spec):
    model = CentralAsiaModel(baseline_spec, members=3, seed=0)
    assert isinstance(model, mesa.Model)
    states = model.agents_by_type[StateAgent]
    powers = model.agents_by_type[PowerAgent]
    assert len(states) == 5 and len(powers) == 5
    assert len(model.agents) == 10
    assert sorted(a.name for a in states) == sorted(STATES)
    assert sorted(a.name for a in powers) == sorted(POWERS)
    assert all(isinstance(a, mesa.Agent) for a in model.agents)


def test_one_step_advances_every_member_by_one_quarter(baseline_spec):
    model = CentralAsiaModel(baseline_spec, members=7, seed=0)
    before = model.world.alignment.copy()
    model.step()
    assert model.steps == 1 and model.world.quarter == 1
    assert model.world.alignment.shape == (7, 5, 6)
    assert not np.array_equal(before, model.world.alignment)
    assert np.isfinite(model.recorder.data["alignment"][:, 1]).all()
    assert np.isnan(model.recorder.data["alignment"][:, 2]).all(), "nothing recorded beyond the step"


def test_agents_are_views_on_the_member_arrays(baseline_spec):
    model = CentralAsiaModel(baseline_spec, members=4, seed=2)
    kz = next(a for a in model.agents_by_type[StateAgent] if a.name == "Kazakhstan")
    ru = next(a for a in model.agents_by_type[PowerAgent] if a.name == "Russia")
    assert kz.alignment.shape == (4, 6) and np.allclose(kz.alignment.sum(axis=1), 1)
    assert kz.gdp_index.shape == (4,) and np.allclose(kz.gdp_index, 1)
    assert ru.leverage.shape == (4, 5, 8)
    assert ru.credibility.shape == (4, 5)
    assert ru.soft_power.shape == (4,) and 0 < ru.soft_power.min() < 1
    np.testing.assert_array_equal(ru.budget, 1.0), "baseline effort at the start"
    model.step()
    assert ru.budget.shape == (4, 5, 8)
    np.testing.assert_array_equal(kz.alignment, model.world.alignment[:, 0])


def test_the_run_stops_at_the_horizon(params):
    model = CentralAsiaModel(RunSpec(params, horizon=2), members=1, seed=0)
    model.run_model()
    assert model.world.quarter == 2 and not model.running
    with pytest.raises(RuntimeError):
        model.step()


# --------------------------------------------------------------------------- the start
def _start(ds, var, **sel):
    return ds[var].isel(quarter=0).sel(**sel).median("member")


def test_russia_leads_security_in_kazakhstan_kyrgyzstan_tajikistan(baseline_small):
    security = baseline_small.flow.sel(channel="security").isel(quarter=0).median("member")
    for state in ("Kazakhstan", "Kyrgyzstan", "Tajikistan"):
        row = security.sel(state=state)
        assert str(row.idxmax("power").item()) == "Russia", state


def test_turkmenistan_mostly_autonomous_with_china_its_main_power(baseline_small):
    tm = _start(baseline_small, "alignment", state="Turkmenistan")
    assert str(tm.idxmax("pole").item()) == "autonomy"
    assert str(tm.drop_sel(pole="autonomy").idxmax("pole").item()) == "China"
    gas = baseline_small.flow.sel(state="Turkmenistan", channel="energy").isel(quarter=0).median("member")
    assert str(gas.idxmax("power").item()) == "China"


def test_remittances_about_half_of_tajik_gdp_at_the_start(baseline_small):
    tj = float(_start(baseline_small, "remittances", state="Tajikistan"))
    assert 0.45 <= tj <= 0.51


def test_eu_is_kazakhstans_largest_trade_partner(baseline_small):
    trade = baseline_small.flow.sel(state="Kazakhstan", channel="trade").isel(quarter=0).median("member")
    assert str(trade.idxmax("power").item()) == "EU"


def test_start_alignment_is_the_calibrated_one(baseline_small, params):
    start = baseline_small.alignment.isel(quarter=0, member=0).values
    np.testing.assert_allclose(start, params.value("alignment.initial"), atol=1e-6)


# --------------------------------------------------------------------------- simplex
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), ranges=st.booleans(), horizon=st.integers(1, 16))
def test_alignment_stays_on_the_simplex(params, seed, ranges, horizon):
    """For any seed, sampled parameters and horizon, every member and quarter is on the simplex."""
    model = CentralAsiaModel(RunSpec(params, horizon=horizon, sample_ranges=ranges), members=8, seed=seed)
    a = model.run()["alignment"]
    assert np.isfinite(a).all()
    assert (a >= 0).all()
    np.testing.assert_allclose(a.sum(axis=-1), 1.0, atol=1e-5)


def test_a_model_without_a_spec_is_the_baseline(params):
    """``CentralAsiaModel()`` runs the baseline, as ``casim.simulate(None)`` does."""
    model = CentralAsiaModel(members=2, seed=4)
    assert model.spec.interventions == ()
    assert all(np.array_equal(model.spec.params.value(p.path), params.value(p.path)) for p in params)
    model.step()
    expected = CentralAsiaModel(RunSpec(params), members=2, seed=4)
    expected.step()
    np.testing.assert_array_equal(model.world.alignment, expected.world.alignment)


def test_mesa_batch_run_runs_the_model(params):
    """Mesa users can drive the model with Mesa's own batch runner (one member per run)."""
    from mesa.batchrunner import batch_run

    spec = RunSpec(params, horizon=3)
    rows = batch_run(
        CentralAsiaModel,
        parameters={"spec": [spec], "members": [[0], [1]], "seed": 1},
        number_processes=1,
        max_steps=3,
        display_progress=False,
    )
    assert len(rows) == 2 and all(row["Step"] >= 2 for row in rows)


def test_a_released_model_is_freed(params):
    """Mesa 3.3 keeps every model in a class-level registry (mesa#3179): casim releases its models,
    so a process running chunk after chunk does not keep them all (it once ran out of memory)."""
    import gc
    import weakref

    import numpy as np

    from casim.executors import run_chunk

    model = CentralAsiaModel(RunSpec(params, horizon=2), members=3, seed=1)
    model.run()
    alive = weakref.ref(model)
    model.release()
    del model
    gc.collect()
    assert alive() is None
    refs = []
    real = CentralAsiaModel.run

    def tracked(self):
        refs.append(weakref.ref(self))
        return real(self)

    CentralAsiaModel.run = tracked
    try:
        for k in range(3):
            run_chunk(RunSpec(params, horizon=2), np.arange(k * 2, k * 2 + 2), 1, ("alignment",))
    finally:
        CentralAsiaModel.run = real
    gc.collect()
    assert len(refs) == 3 and all(r() is None for r in refs)
