"""Honest uncertainty: ranges sampled by default, overrides pinned, draws saved, tables that show peak,
horizon and mean with "≈0" where a change is below display precision."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from casim.api import DRAWS, parameter_draws, simulate
from casim.cli import app
from casim.experiment import run_experiment
from casim.paramfile import load_parameters
from casim.results import NEGLIGIBLE, change_table, format_change, peak_quarter
from casim.scenario import load_scenario, loads_scenario
from casim.spec import RunSpec
from helpers import LIBRARY, short_scenario

runner = CliRunner()


def test_scenarios_and_runs_sample_parameter_ranges_by_default():
    scenario = load_scenario(LIBRARY / "remittance_shock.yaml")
    assert scenario.sample_ranges and RunSpec(load_parameters()).sample_ranges
    ds = simulate(scenario.resolved(horizon=2), members=3, seed=1)
    draws = ds[DRAWS]
    assert draws.sizes["member"] == 3 and draws.sizes["parameter"] > 100
    assert "alignment.adjustment" in draws.parameter.values
    assert float(draws.sel(parameter="alignment.adjustment").std()) > 0, "members draw different values"


def test_assumptions_and_parameters_are_pinned_when_ranges_are_sampled():
    text = (
        "name: pinned\ndescription: pins\nhorizon: 2\n"
        "assumptions:\n  alignment.adjustment: 0.07\n"
        "parameters:\n  channels.remittances.substitutability.Uzbekistan: 0.5\n"
    )
    scenario = loads_scenario(text)
    spec, base = scenario.to_runspec(), scenario.baseline_runspec()
    arrays = spec.params.resolve(range(6), 3, sample_ranges=True)
    np.testing.assert_array_equal(arrays["alignment.adjustment"], np.float32(0.07))
    sub = np.broadcast_to(arrays["channels.remittances.substitutability"], (6, 5))
    np.testing.assert_array_equal(sub[:, 4], np.float32(0.5))
    assert np.std(sub[:, 0]) > 0, "the other states' values are still drawn"
    base_arrays = base.params.resolve(range(6), 3, sample_ranges=True)
    np.testing.assert_array_equal(base_arrays["alignment.adjustment"], np.float32(0.07))
    assert np.std(np.broadcast_to(base_arrays["channels.remittances.substitutability"], (6, 5))[:, 4]) > 0
    labels = parameter_draws(spec, range(6), 3).parameter.values
    assert "alignment.adjustment" not in labels
    assert "channels.remittances.substitutability.Uzbekistan" not in labels
    assert "channels.remittances.substitutability.Tajikistan" in labels


def test_joint_tables_keep_their_documented_ordering_in_every_member():
    params = load_parameters()
    assert params["alignment.hedging"].sample == "joint"
    drawn = np.broadcast_to(params.resolve(range(200), 9, sample_ranges=True)["alignment.hedging"], (200, 5))
    value = params.value("alignment.hedging")
    ratio = drawn / value
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[:, :1], ratio.shape), rtol=1e-6)
    assert ratio.min() < 0.75 and ratio.max() > 1.25


def test_parameter_draws_round_trip_through_the_results_folder(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(short_scenario(tmp_path)), "-n", 5, "-s", 4, "-o", str(out), "--no-plots"])
    assert result.exit_code == 0, result.output
    scenario = load_scenario(short_scenario(tmp_path))
    expected = parameter_draws(scenario.baseline_runspec(), list(range(5)), 4)
    with xr.open_dataset(out / "ensemble.nc", engine="h5netcdf") as ds:
        saved = ds[DRAWS].load()
    assert list(saved.parameter.values) == list(expected.parameter.values)
    np.testing.assert_array_equal(saved.values, expected.values)
    with_fixed = runner.invoke(
        app, ["run", str(short_scenario(tmp_path)), "-n", 2, "--fixed", "-o", str(tmp_path / "f"), "--no-plots", "-q"]
    )
    assert with_fixed.exit_code == 0
    with xr.open_dataset(tmp_path / "f" / "ensemble.nc", engine="h5netcdf") as ds:
        assert DRAWS not in ds and ds.attrs["sample_ranges"] == 0


def test_member_k_draws_the_same_parameters_alone_or_in_an_ensemble():
    spec = load_scenario(LIBRARY / "baseline.yaml").to_runspec()
    whole = parameter_draws(spec, range(6), 11)
    alone = parameter_draws(spec, [4], 11)
    np.testing.assert_array_equal(whole.sel(member=4).values, alone.sel(member=4).values)


def _paired_with(change: np.ndarray) -> xr.Dataset:
    """A paired dataset of one state and pole whose change versus the baseline is ``change`` (member, quarter)."""
    members, quarters = change.shape
    base = np.full((members, quarters, 1, 1), 0.3)
    values = np.stack([base, base + change[..., None, None]])
    return xr.Dataset(
        {"alignment": (("case", "member", "quarter", "state", "pole"), values)},
        coords={
            "case": ["baseline", "scenario"],
            "state": ["Tajikistan"],
            "pole": ["Russia"],
            "label": ("quarter", [f"q{t}" for t in range(quarters)]),
        },
    )


def test_the_table_reports_peak_horizon_and_mean_with_their_bands():
    rng = np.random.default_rng(0)
    dip = -0.05 * np.exp(-0.5 * ((np.arange(12) - 4) / 1.5) ** 2)  # over by the horizon
    change = dip[None, :] * rng.uniform(0.8, 1.2, (50, 1))
    row = change_table(_paired_with(change)).iloc[0]
    assert row.peak_quarter == "q4" and row.peak < -0.04
    assert row.peak_p05 <= row.peak <= row.peak_p95
    assert abs(row.horizon) < 1e-3 and format_change(row.horizon, row.horizon_p05, row.horizon_p95) == "≈0"
    assert row["mean"] == pytest.approx(np.median(change[:, 1:].mean(axis=1)))
    assert row.p_down == 1.0 and row.p_up == 0.0


def test_changes_below_display_precision_are_not_counted_as_up_or_down():
    rng = np.random.default_rng(1)
    tiny = rng.normal(0.0002, 0.0001, (40, 6))
    row = change_table(_paired_with(tiny)).iloc[0]
    assert row.p_up == 0.0 and row.p_down == 0.0
    assert format_change(row.peak, row.peak_p05, row.peak_p95) == "≈0"
    assert format_change(0.01, 0.005, 0.02) == "+0.010 [+0.005,+0.020]"
    assert format_change(0.0004, -NEGLIGIBLE, NEGLIGIBLE) == "≈0"


def test_one_definition_of_the_peak_quarter():
    change = xr.DataArray(
        np.array([[[0.0, 0.0], [0.01, -0.03], [0.02, 0.0]]] * 5),
        dims=("member", "quarter", "pole"),
    )
    assert list(peak_quarter(change).values) == [2, 1], "per pole: its own largest median |change|"
    assert int(peak_quarter(change, over=("pole",))) == 1, "over poles: the largest of them"


def test_cli_prints_peak_horizon_and_mean_and_approx_zero(tmp_path):
    result = runner.invoke(
        app, ["run", str(short_scenario(tmp_path, 12)), "-n", 6, "--no-plots", "-o", str(tmp_path / "r")]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "at the peak" in out and "at the horizon" in out and "run mean" in out and "≈0" in out
    assert "parameters drawn from their ranges" in out
    for state in ("Tajikistan", "Kazakhstan"):
        assert state in out
    fixed = runner.invoke(
        app, ["run", str(short_scenario(tmp_path, 12)), "-n", 2, "--fixed", "--no-plots", "-o", str(tmp_path / "x")]
    )
    assert "parameters fixed at their values (--fixed)" in fixed.output


def test_sampled_ranges_give_wider_bands_than_seed_noise():
    scenario = load_scenario(LIBRARY / "remittance_shock.yaml").resolved(horizon=16, members=30, seed=3)
    sampled = change_table(run_experiment(scenario, executor="serial").paired)
    fixed = change_table(run_experiment(scenario.resolved(sample_ranges=False), executor="serial").paired)
    pick = lambda t: t[(t.state == "Tajikistan") & (t.pole == "Russia")].iloc[0]  # noqa: E731
    width = lambda r: r.peak_p95 - r.peak_p05  # noqa: E731
    assert width(pick(sampled)) > 3 * width(pick(fixed))
