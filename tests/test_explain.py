"""Explaining scenarios: counterfactual perception and the Shapley split reconcile exactly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from casim.counterfactual import Counterfactual
from casim.explain import explain
from casim.government import PLAYERS
from casim.model import CentralAsiaModel
from casim.scenario import load_scenario

LIBRARY = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture(scope="module")
def cpc():
    return load_scenario(LIBRARY / "cpc_disruption.yaml").resolved(horizon=12)


def test_perceiving_nothing_of_the_scenario_reproduces_the_baseline(cpc):
    base = CentralAsiaModel(cpc.baseline_runspec(), members=4, seed=3, log_inputs=True)
    reference = base.run()["alignment"]
    keep_none = Counterfactual(base.input_log.data, np.arange(4), np.zeros((4, len(PLAYERS)), bool))
    masked = CentralAsiaModel(cpc.to_runspec(), members=4, seed=3, counterfactual=keep_none).run()["alignment"]
    np.testing.assert_array_equal(masked, reference)
    keep_all = Counterfactual(base.input_log.data, np.arange(4), np.ones((4, len(PLAYERS)), bool))
    full = CentralAsiaModel(cpc.to_runspec(), members=4, seed=3, counterfactual=keep_all).run()["alignment"]
    plain = CentralAsiaModel(cpc.to_runspec(), members=4, seed=3).run()["alignment"]
    np.testing.assert_array_equal(full, plain)
    assert not np.array_equal(plain, reference)


def test_counterfactual_checks_its_mask(cpc):
    with pytest.raises(ValueError, match="keep must have shape"):
        Counterfactual({}, np.arange(3), np.zeros((3, 2), bool))


@pytest.mark.parametrize("exact_up_to", [7, 1])
def test_parts_add_up_to_the_total_for_every_member_and_quarter(cpc, exact_up_to):
    e = explain(cpc, members=6, exact_up_to=exact_up_to, permutations=6)
    assert e.method == ("exact" if exact_up_to == 7 else "sampled")
    assert np.abs(e.residual).max() < 1e-9, "documented tolerance: float rounding only"
    assert np.abs(e.total).max() > 0.01
    k = e.peak_quarter("Kazakhstan")
    table = e.table(k)
    kz_ru = table[(table.state == "Kazakhstan") & (table.pole == "Russia")].set_index("part")["mean"]
    assert kz_ru["total"] < 0
    assert kz_ru["energy"] < 0 and kz_ru["threat perception"] < 0, "the pipeline and the threat push Kazakhstan away"
    assert abs(kz_ru.drop(["total", "residual"]).sum() - kz_ru["total"]) < 1e-9


def test_explanation_dataset_and_tidy_table(cpc):
    e = explain(cpc, members=3)
    ds = e.to_dataset()
    assert ds.contribution.dims == ("player", "member", "quarter", "state", "pole")
    np.testing.assert_allclose(ds.contribution.sum("player") + 0.0, ds.total, atol=1e-9)
    tidy = e.tidy()
    assert set(tidy.columns) == {"quarter", "state", "pole", "part", "mean", "p05", "p50", "p95"}
    assert {"total", "residual"} <= set(tidy.part)
    assert all(len(g) >= 1 for g in e.groups)
