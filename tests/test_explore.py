"""The analyst's toolkit: designs, outcomes, sensitivity (SALib), discovery (PRIM), robustness, Dask."""

from __future__ import annotations

import json
import sys

import numpy as np
import pandas as pd
import pytest

import casim
from casim.design import Design, sampling_units
from casim.errors import CasimError
from casim.outcomes import parse_outcome
from casim.robust import best_share, regret, summary
from casim.scenario import load_scenario
from helpers import LIBRARY, assert_clean, invoke, short_scenario

# --------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("alignment:Tajikistan:Russia", "alignment:Tajikistan:Russia:peak:change"),
        ("alignment:tj:ru:horizon", "alignment:Tajikistan:Russia:horizon:change"),
        ("gdp_index:Kazakhstan:mean:level", "gdp_index:Kazakhstan:mean:level"),
        ("alignment:*:EU:horizon", "alignment:*:EU:horizon:change"),
    ],
)
def test_outcome_expressions(text, expected):
    assert parse_outcome(text).expression == expected


@pytest.mark.parametrize(
    ("text", "message", "suggestion"),
    [
        ("alignmnt:Tajikistan:Russia", "not a recorded output", "alignment"),
        ("alignment:Tajikstan:Russia", "not a state", "Tajikistan"),
        ("alignment:Tajikistan", "one label per dimension", None),
        ("", "give an outcome", None),
    ],
)
def test_bad_outcomes_are_explained(text, message, suggestion):
    with pytest.raises(CasimError, match=message) as caught:
        parse_outcome(text)
    assert caught.value.issues[0].suggestion == suggestion


def test_outcome_values_are_the_paired_change_at_the_peak():
    paired = casim.run_experiment(LIBRARY / "remittance_shock.yaml", members=6).paired
    change = paired.alignment.sel(case="scenario") - paired.alignment.sel(case="baseline")
    series = change.sel(state="Tajikistan", pole="Russia")
    peak = int(np.abs(series.median("member")).argmax("quarter"))
    values = parse_outcome("alignment:Tajikistan:Russia:peak").per_member(paired)
    np.testing.assert_array_equal(values.values, series.isel(quarter=peak).values)
    level = parse_outcome("alignment:Tajikistan:Russia:horizon:level").per_member(paired)
    np.testing.assert_array_equal(
        level.values,
        paired.alignment.sel(case="scenario").isel(quarter=-1).sel(state="Tajikistan", pole="Russia").values,
    )
    mean = parse_outcome("alignment:*:Russia:horizon").per_member(paired)
    np.testing.assert_allclose(mean.values, change.isel(quarter=-1).sel(pole="Russia").mean("state").values)


# --------------------------------------------------------------------------- designs


def test_a_design_places_each_member_in_the_ranges_and_shares_its_noise(params, tmp_path):
    units = sampling_units(params)
    adjustment = next(k for k, u in enumerate(units) if u.path == "alignment.adjustment")
    rows = np.full((4, len(units)), 0.5)
    rows[:, adjustment] = [0.0, 1.0, 0.25, 0.0]
    design = Design.from_rows(rows, noise=0)
    scenario = load_scenario(short_scenario(tmp_path, horizon=6))
    exp = casim.run_experiment(scenario, design=design, executor="serial")
    drawn = exp.data.parameter_value.sel(parameter="alignment.adjustment").values
    p = params["alignment.adjustment"]
    np.testing.assert_allclose(drawn, p.low + rows[:, adjustment] * (p.high - p.low), rtol=1e-6)
    # rows 0 and 3 have the same positions and share the random numbers of member 0: identical runs
    a = exp.data.alignment.sel(member=0).values
    np.testing.assert_array_equal(a, exp.data.alignment.sel(member=3).values)
    assert not np.array_equal(a, exp.data.alignment.sel(member=1).values)
    # chunking and executors do not change a designed ensemble
    again = casim.run_experiment(scenario, design=design, chunk_size=1, executor="processes", workers=2)
    np.testing.assert_array_equal(exp.data.alignment.values, again.data.alignment.values)


def test_designs_refuse_bad_rows():
    with pytest.raises(ValueError, match="increasing"):
        Design(np.array([0, 0]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Design.from_rows(np.full((2, 3), 1.5))
    with pytest.raises(ValueError, match="outside the design"):
        Design.from_rows(np.zeros((2, 3))).rows([5])


# --------------------------------------------------------------------------- sensitivity


def test_morris_ranks_the_one_parameter_an_outcome_depends_on_first(tmp_path):
    """A remittance cut moves Tajik GDP through the GDP multiplier of flows: it must rank first."""
    out = tmp_path / "sens"
    result = invoke(
        "sensitivity",
        short_scenario(tmp_path, horizon=8),
        "--samples",
        6,
        "--parameters",
        "flows.gdp_multiplier,alignment.adjustment,citizens.adaptation,regime.noise",
        "--outcome",
        "gdp_index:Tajikistan:horizon",
        "--out",
        out,
    )
    assert_clean(result, 0, "flows.gdp_multiplier", "design rows")
    table = pd.read_csv(out / "sensitivity.csv")
    assert table.factor.iloc[0] == "flows.gdp_multiplier"
    assert list(table.columns) == ["rank", "factor", "mu_star", "mu_star_conf", "mu", "sigma"]
    assert len(table) == 4 and (table.mu_star >= 0).all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "sensitivity" and manifest["method"] == "morris"
    assert manifest["design_rows"] == 6 * 5 and manifest["outcome"] == "gdp_index:Tajikistan:horizon:change"
    assert (out / "sensitivity.png").is_file()


def test_sobol_total_indices_find_the_same_parameter(tmp_path):
    out = tmp_path / "sobol"
    result = invoke(
        "sensitivity",
        short_scenario(tmp_path, horizon=6),
        "--method",
        "sobol",
        "--samples",
        16,
        "--groups",
        "parameter",
        "--parameters",
        "flows.gdp_multiplier,alignment.adjustment",
        "--outcome",
        "gdp_index:Tajikistan:horizon",
        "--out",
        out,
        "--no-plots",
    )
    assert_clean(result, 0, "ST")
    table = pd.read_csv(out / "sensitivity.csv")
    assert table.factor.iloc[0] == "flows.gdp_multiplier" and table.ST.iloc[0] > 0.5
    assert list(table.columns) == ["rank", "factor", "ST", "ST_conf", "S1", "S1_conf"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--method", "sobol", "--samples", "6"], "power of 2"),
        (["--method", "fourier"], "expected one of morris, sobol"),
        (["--groups", "tables"], "expected one of parameter, section, none"),
        (["--parameters", "flows.gdp_multiplyer"], "neither a parameter nor a section"),
        (["--outcome", "gdp:Kazakhstan"], "not a recorded output"),
        (["--executor", "cloud"], "expected one of auto, serial, processes, dask"),
    ],
)
def test_sensitivity_refuses_bad_options(tmp_path, args, message):
    assert_clean(invoke("sensitivity", short_scenario(tmp_path, horizon=4), *args, "-o", tmp_path / "x"), 2, message)
    assert not (tmp_path / "x").exists()


# --------------------------------------------------------------------------- discovery


def test_discover_finds_a_box_and_scores_the_parameters(tmp_path):
    out = tmp_path / "disc"
    path = short_scenario(tmp_path, horizon=12, name="luban_expansion")
    result = invoke(
        "discover",
        path,
        "--outcome",
        "alignment:Kyrgyzstan:China:horizon",
        "--threshold",
        "0.004",
        "-n",
        300,
        "--out",
        out,
    )
    assert_clean(result, 0, "chosen box", "feature scores")
    box = pd.read_csv(out / "box.csv")
    trajectory = pd.read_csv(out / "trajectory.csv")
    features = pd.read_csv(out / "features.csv")
    assert (
        len(box) >= 1 and (box.box_low >= box.range_low - 1e-9).all() and (box.box_high <= box.range_high + 1e-9).all()
    )
    assert trajectory.coverage.iloc[0] == pytest.approx(1.0) and trajectory.density.is_monotonic_increasing is not None
    assert features.score.is_monotonic_decreasing and len(features) > 100
    assert (out / "discovery.png").is_file()
    manifest = json.loads((out / "manifest.json").read_text())
    assert 0 < manifest["cases"] < 300 and manifest["kind"] == "discover"


def test_discover_explains_a_threshold_nobody_reaches(tmp_path):
    result = invoke(
        "discover",
        short_scenario(tmp_path, horizon=4),
        "--outcome",
        "alignment:Tajikistan:Russia:horizon",
        "--threshold",
        "5",
        "-n",
        60,
        "-o",
        tmp_path / "d",
    )
    assert_clean(result, 2, "0 of 60 members", "choose a threshold inside the outcome's range")


# --------------------------------------------------------------------------- robustness


def test_regret_and_best_share_on_a_known_table():
    values = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [2.0, 2.0, 0.0], "c": [0.0, 1.0, 1.0]})
    np.testing.assert_array_equal(regret(values).values, [[1, 0, 2], [0, 0, 1], [0, 3, 2]])
    np.testing.assert_array_equal(regret(values, minimize=True).values, [[1, 2, 0], [1, 1, 0], [3, 0, 1]])
    share = best_share(values)
    assert share["a"] == pytest.approx(0.5) and share["b"] == pytest.approx(0.5) and share["c"] == 0
    table = summary(values, threshold=1.5)
    assert list(table.option) == ["a", "b", "c"]  # by mean regret: a 1/3, b 1, c 5/3
    assert table.set_index("option").satisficing_share.to_dict() == {"a": 2 / 3, "b": 2 / 3, "c": 0.0}


def test_robust_compares_options_over_shared_futures(tmp_path):
    out = tmp_path / "rob"
    names = ["eu_vocational_push", "eu_values_first", "middle_corridor"]
    result = invoke(
        "robust",
        *[short_scenario(tmp_path, horizon=12, name=n) for n in names],
        "--outcome",
        "alignment:*:EU:horizon",
        "-n",
        24,
        "--threshold",
        "0.001",
        "--out",
        out,
    )
    assert_clean(result, 0, "shared futures", "mean regret")
    table = pd.read_csv(out / "robust.csv")
    values = pd.read_csv(out / "outcomes.csv").set_index("member")
    assert sorted(table.option) == sorted(names) and list(values.columns) == names
    assert table.best_share.sum() == pytest.approx(1.0)
    assert (regret(values).min(axis=1) == 0).all()
    assert set(table.columns) >= {"median", "p05", "p95", "mean_regret", "max_regret", "satisficing_share"}
    assert (out / "robust.png").is_file()


def test_robust_needs_two_options(tmp_path):
    path = short_scenario(tmp_path, horizon=4)
    assert_clean(invoke("robust", path, "--outcome", "alignment:*:EU", "-o", tmp_path / "r"), 2, "at least two")


# --------------------------------------------------------------------------- dask


@pytest.mark.skipif(sys.platform == "win32", reason="LocalCluster start-up")
def test_dask_gives_the_local_results_bit_for_bit(params, tmp_path):
    """A LocalCluster of 2 worker processes returns exactly what this process computes."""
    from casim.spec import RunSpec

    spec = RunSpec(params, horizon=6)
    local = casim.simulate(spec, members=30, seed=4, chunk_size=7, executor="serial")
    remote = casim.simulate(spec, members=30, seed=4, chunk_size=7, executor="dask", workers=2)
    for name in local.data_vars:
        np.testing.assert_array_equal(local[name].values, remote[name].values, err_msg=name)
    out = tmp_path / "run"
    result = invoke(
        "run", short_scenario(tmp_path, horizon=4), "-n", 6, "--no-plots", "-q", "--executor", "dask", "--out", out
    )
    assert_clean(result, 0)
    serial = invoke("run", short_scenario(tmp_path, horizon=4), "-n", 6, "--no-plots", "-q", "--out", tmp_path / "s")
    assert_clean(serial, 0)
    assert (out / "summary.csv").read_bytes() == (tmp_path / "s" / "summary.csv").read_bytes()


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path, monkeypatch):
    import casim.executors

    monkeypatch.setattr(casim.executors, "SCHEDULER_TIMEOUT", 1)
    result = invoke(
        "run",
        short_scenario(tmp_path, horizon=2),
        "-n",
        2,
        "--no-plots",
        "--executor",
        "dask",
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--out",
        tmp_path / "r",
    )
    assert_clean(result, 2, "cannot reach the Dask scheduler")
