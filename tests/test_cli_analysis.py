"""casim compare and casim explain through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from casim.cli import app

LIBRARY = Path(__file__).resolve().parents[1] / "scenarios"
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def short(tmp_path):
    def make(name: str, horizon: int = 8) -> Path:
        path = tmp_path / f"{name}.yaml"
        path.write_text((LIBRARY / f"{name}.yaml").read_text().replace("horizon: 40", f"horizon: {horizon}"))
        return path

    return make


def test_compare_two_scenarios(tmp_path, short):
    out = tmp_path / "cmp"
    result = invoke("compare", short("remittance_shock"), short("sanctions_enforcement"), "-n", 4, "-s", 2, "-o", out)
    assert result.exit_code == 0, result.output
    assert "remittance_shock" in result.output and "sanctions_enforcement" in result.output
    assert "Tajikistan" in result.output
    files = {p.name for p in out.iterdir()}
    assert {"compare_changes.csv", "compare_difference.png", "compare_kazakhstan.png", "manifest.json"} <= files
    table = pd.read_csv(out / "compare_changes.csv")
    assert list(table.columns) == [
        "scenario",
        "state",
        "pole",
        "peak_quarter",
        "peak",
        "peak_p05",
        "peak_p95",
        "horizon",
        "horizon_p05",
        "horizon_p95",
        "mean",
        "mean_p05",
        "mean_p95",
        "p_up",
        "p_down",
        "baseline",
        "value",
    ]
    assert len(table) == 2 * 5 * 6
    tj = table[(table.scenario == "remittance_shock") & (table.state == "Tajikistan") & (table.pole == "Russia")]
    assert float(tj.peak.iloc[0]) < 0 and float(tj.peak.iloc[0]) <= float(tj.horizon.iloc[0])
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 2 and manifest["members"] == 4


def test_compare_a_saved_folder_with_a_file_on_common_numbers(tmp_path, short):
    shock = short("remittance_shock")
    folder = tmp_path / "run"
    assert invoke("run", shock, "-n", 3, "-s", 5, "-o", folder, "--no-plots", "-q").exit_code == 0
    out = tmp_path / "cmp"
    result = invoke("compare", folder, short("csto_crisis"), "-o", out, "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "compare_changes.csv")
    run_table = pd.read_csv(folder / "changes.csv")
    ours = table[table.scenario == "remittance_shock"].reset_index(drop=True)
    for column in ("peak", "horizon", "mean", "peak_quarter"):
        pd.testing.assert_series_equal(ours[column], run_table[column], check_names=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["members"] == 3
    clash = invoke("compare", folder, short("csto_crisis"), "-s", 9, "-o", tmp_path / "x")
    assert clash.exit_code == 2 and "seed 5" in clash.output and not (tmp_path / "x").exists()


def test_compare_rejects_bad_inputs(tmp_path, short):
    incomplete = tmp_path / "empty"
    incomplete.mkdir()
    result = invoke("compare", incomplete)
    assert result.exit_code == 2 and "not a complete casim results folder" in result.output
    long = short("csto_crisis", horizon=12)
    result = invoke("compare", short("remittance_shock"), long)
    assert result.exit_code == 2 and "start or horizon" in result.output


def test_explain_writes_the_split_and_prints_it(tmp_path, short):
    out = tmp_path / "exp"
    result = invoke("explain", short("sanctions_enforcement", 12), "--state", "KG", "-n", 4, "-o", out)
    assert result.exit_code == 0, result.output
    assert "Kyrgyzstan at" in result.output and "trade" in result.output and "total" in result.output
    assert {p.name for p in out.iterdir()} == {"contributions.csv", "explain_kyrgyzstan.png", "manifest.json"}
    tidy = pd.read_csv(out / "contributions.csv")
    residual = tidy[tidy.part == "residual"]["mean"].abs().max()
    assert residual < 1e-9
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["max_abs_residual"] < 1e-9 and manifest["method"] in ("exact", "sampled")


def test_explain_rejects_an_unknown_state_and_quarter(tmp_path, short):
    scenario = short("sanctions_enforcement")
    result = invoke("explain", scenario, "--state", "Kazakstn", "-n", 2, "-o", tmp_path / "a")
    assert result.exit_code == 2 and "did you mean 'Kazakhstan'" in result.output
    result = invoke("explain", scenario, "--quarter", "2099Q1", "-n", 2, "-o", tmp_path / "b")
    assert result.exit_code == 2 and "expected a quarter between" in result.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
