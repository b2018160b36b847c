"""Interventions: targets, selection, timing, random events, and their effects on the model."""

from __future__ import annotations

import numpy as np
import pytest

from casim.api import simulate
from casim.interventions import Intervention, Schedule, random_weights, selection_mask, timed_weights
from casim.model import CentralAsiaModel
from casim.parameters import ParameterError
from casim.spec import RunSpec

MIGRANT_STATES = ("Tajikistan", "Kyrgyzstan", "Uzbekistan")
CUT = Intervention(
    "flow", "multiply", 0.6, start=2, ramp=2, channels=("remittances",), powers=("Russia",), states=MIGRANT_STATES
)
BACKLASH = Intervention("backlash", "set", 0.8, start=2, duration=8, powers=("Russia",), states=MIGRANT_STATES)


def _dynamic(params):
    return params.dynamic


# --------------------------------------------------------------------------- mechanics
def test_timed_weights_ramp_and_duration():
    w = timed_weights(Intervention("crisis", "add", 1.0, start=3, ramp=4, duration=6), horizon=12)
    np.testing.assert_allclose(w, [0, 0, 0, 0.25, 0.5, 0.75, 1, 1, 1, 0, 0, 0, 0])
    forever = timed_weights(Intervention("crisis", "add", 1.0, start=2), horizon=5)
    np.testing.assert_allclose(forever, [0, 0, 1, 1, 1, 1])


def test_random_weights_fire_per_member_and_respect_limits():
    u = np.array([[0.9, 0.1, 0.9, 0.9, 0.05, 0.9], [0.9, 0.9, 0.9, 0.9, 0.9, 0.9]])
    iv = Intervention("crisis", "add", 1.0, ramp=1, duration=2, probability=0.2, max_occurrences=1)
    w = random_weights(iv, u)
    np.testing.assert_allclose(w[0], [0, 0, 1, 1, 0, 0, 0]), "fires in quarter 2, lasts 2, never again"
    assert not w[1].any()
    window = Intervention("crisis", "add", 1.0, duration=1, probability=1.0, window=(3, 4))
    np.testing.assert_allclose(random_weights(window, np.zeros((1, 6)))[0], [0, 0, 0, 1, 1, 0, 0])


def test_selection_mask_selects_the_named_elements():
    mask = selection_mask(CUT, ("state", "power", "channel"))
    assert mask.shape == (1, 5, 5, 8) and mask.sum() == 3
    assert mask[0, 2, 0, 0] and not mask[0, 0, 0, 0]
    everyone = selection_mask(Intervention("opinion_shift", "add", 0.1), ("state", "power", "audience"))
    assert everyone[0, :, :, 0].all() and not everyone[0, :, :, 1:].any(), "no segments = every citizen"


@pytest.mark.parametrize(
    ("op", "value", "full", "half"), [("multiply", 0.5, 0.2, 0.3), ("add", 0.5, 0.9, 0.65), ("set", 0.5, 0.5, 0.45)]
)
def test_operations_at_full_and_half_strength(params, op, value, full, half):
    iv = Intervention("param:regime.recovery", op, value, start=1, ramp=2)
    sched = Schedule([iv], params, 3, [0], 0, _dynamic(params))
    base = np.full((1,), 0.4, np.float32)
    assert sched.apply("regime.recovery", base, 2)[0] == pytest.approx(full)
    assert sched.apply("regime.recovery", base, 1)[0] == pytest.approx(half)
    assert sched.apply("regime.recovery", base, 0)[0] == pytest.approx(0.4)


def test_effective_values_are_clipped_to_the_target_bounds(params):
    sched = Schedule([Intervention("param:regime.recovery", "add", 5.0)], params, 2, [0], 0, _dynamic(params))
    assert sched.apply("regime.recovery", np.full((1,), 0.4, np.float32), 1)[0] == 1.0


def test_unknown_targets_and_init_only_parameters_are_rejected(params):
    with pytest.raises(ParameterError) as err:
        Schedule([Intervention("flows", "multiply", 2.0)], params, 4, [0], 0, _dynamic(params))
    assert err.value.suggestion == "flow"
    with pytest.raises(ParameterError, match="override"):
        Schedule([Intervention("param:alignment.initial", "set", 0.2)], params, 4, [0], 0, _dynamic(params))
    with pytest.raises(ParameterError):
        Schedule([Intervention("crisis", "divide", 2.0)], params, 4, [0], 0, _dynamic(params))


def test_a_parameter_intervention_changes_the_run_only_while_active(params):
    base = CentralAsiaModel(RunSpec(params, horizon=8), members=2, seed=1).run()
    iv = Intervention("param:country.growth", "add", 0.05, start=3, duration=2, states=("Kazakhstan",))
    run = CentralAsiaModel(RunSpec(params, horizon=8, interventions=(iv,)), members=2, seed=1).run()
    gdp_b, gdp_s = base["gdp_index"][..., 0], run["gdp_index"][..., 0]
    np.testing.assert_array_equal(gdp_b[:, :3], gdp_s[:, :3])
    jump = np.log(gdp_s[:, 4] / gdp_s[:, 2]) - np.log(gdp_b[:, 4] / gdp_b[:, 2])
    np.testing.assert_allclose(jump, 0.10, atol=2e-3)
    # Other states feel it only through feedbacks (relative capacity, powers' effort): tiny.
    np.testing.assert_allclose(base["gdp_index"][..., 1], run["gdp_index"][..., 1], rtol=1e-4)


def test_random_events_are_common_to_a_member_across_runs(params):
    """A random event fires at the same quarters for member k in any batch (CRN)."""
    iv = Intervention("crisis", "add", 0.5, probability=0.3, duration=1, states=("Kyrgyzstan",))
    spec = RunSpec(params, horizon=10, interventions=(iv,))
    a = Schedule([iv], params, 10, [0, 1, 2, 3], 7, _dynamic(params)).items[0].weights
    b = Schedule([iv], params, 10, [2], 7, _dynamic(params)).items[0].weights
    np.testing.assert_array_equal(a[2], b[0])
    assert a.any(axis=1).sum() >= 2 and not np.array_equal(a[0], a[1])
    out = CentralAsiaModel(spec, members=4, seed=7).run()["regime_stability"][..., 1]
    assert out.min() < 0.4, "a crisis pushes Kyrgyz stability down in members where it fires"


# --------------------------------------------------------------------------- effects
@pytest.fixture(scope="module")
def remittance_runs(params):
    spec = RunSpec(params, horizon=16)
    base = simulate(spec, members=24, seed=2)
    cut = simulate(RunSpec(params, horizon=16, interventions=(CUT,)), members=24, seed=2)
    both = simulate(RunSpec(params, horizon=16, interventions=(CUT, BACKLASH)), members=24, seed=2)
    return base, cut, both


def test_remittance_cut_hurts_tajik_gdp_most(remittance_runs):
    base, cut, _ = remittance_runs
    loss = (cut.gdp_index - base.gdp_index).isel(quarter=-1).median("member")
    assert float(loss.sel(state="Tajikistan")) < float(loss.sel(state="Kyrgyzstan")) < 0
    assert float(loss.sel(state="Kyrgyzstan")) < float(loss.sel(state="Uzbekistan")) < 0
    assert str(loss.idxmin("state").item()) == "Tajikistan"
    assert abs(float(loss.sel(state="Kazakhstan"))) < 1e-3


def test_backlash_lowers_migrant_households_favourability_toward_russia(remittance_runs):
    base, cut, both = remittance_runs
    seg = {"power": "Russia", "segment": "migrant_household"}
    for state in MIGRANT_STATES:
        with_backlash = float(both.segment_favourability.sel(state=state, **seg).isel(quarter=8).median("member"))
        without = float(cut.segment_favourability.sel(state=state, **seg).isel(quarter=8).median("member"))
        baseline = float(base.segment_favourability.sel(state=state, **seg).isel(quarter=8).median("member"))
        assert with_backlash < without - 0.1 < baseline, state


def test_common_random_numbers_make_untouched_quantities_identical(remittance_runs):
    base, cut, _ = remittance_runs
    np.testing.assert_array_equal(
        base.alignment.isel(quarter=slice(0, 2)).values, cut.alignment.isel(quarter=slice(0, 2)).values
    )


def test_start_only_parameters_are_exactly_those_read_only_while_building_the_start(params):
    model = CentralAsiaModel(RunSpec(params, horizon=3, sample_ranges=False), members=2, seed=0)
    at_start = set(model.params.used)
    model.params.used.clear()
    during: set[str] = set()
    record = model.record

    def spy(p, t, now):  # the quarter's phases, not the outputs recorded after them
        during.update(model.params.used)
        record(p, t, now)
        model.params.used.clear()

    model.record = spy
    model.step()
    model.step()
    start_only = {p.path for p in params if p.init_only}
    assert not (during & start_only), "declared start-only but read during the run"
    assert start_only <= at_start, "declared start-only but never read"
    assert at_start - during <= start_only, "read only at the start but not declared so (stage: start)"


def test_every_target_is_consumed_by_the_step(params):
    """Each target an event may change is asked for by the model every quarter, so no event is silently ignored."""
    from casim.interventions import TARGETS, Intervention

    changes = [
        Intervention(target=name, op="multiply", value=0.9, start=1, powers=("Russia",) if "power" in info.dims else ())
        for name, info in TARGETS.items()
    ]
    model = CentralAsiaModel(
        RunSpec(params, horizon=2, interventions=tuple(changes), sample_ranges=False), members=1, seed=0
    )
    model.step()
    assert model.interventions.keys <= model.interventions.applied, (
        model.interventions.keys - model.interventions.applied
    )
    assert {t for t, info in TARGETS.items() if info.param is None} <= model.interventions.applied
