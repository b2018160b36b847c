"""The command line, exercised as a user would (Typer's CliRunner)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from typer.testing import CliRunner

from casim.cli import app
from casim.results_folder import is_complete
from helpers import LIBRARY, short_scenario

SHOCK = LIBRARY / "remittance_shock.yaml"
runner = CliRunner()

RUN_FILES = {
    "scenario.yaml",
    "manifest.json",
    "ensemble.nc",
    "summary.csv",
    "changes.csv",
    "alignment.png",
    "difference.png",
    "economy.png",
    "ternary.png",
}


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_help_lists_the_commands():
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "validate", "schema", "list"):
        assert command in result.output


def test_run_writes_a_complete_folder_and_prints_the_table(tmp_path):
    out = tmp_path / "run"
    result = invoke("run", SHOCK, "--members", 4, "--seed", 7, "--out", out)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} >= RUN_FILES
    assert is_complete(out)
    assert "Tajikistan" in result.output and "up/down" in result.output and "90 % band" in result.output
    assert "at the peak" in result.output and "at the horizon" in result.output and "run mean" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["members"] == 4 and manifest["scenario"] == "remittance_shock"
    assert {"numpy", "mesa", "xarray"} <= set(manifest["dependencies"])
    assert manifest["timings_seconds"]["total"] > 0 and len(manifest["parameter_hash"]["scenario"]) == 16
    with xr.open_dataset(out / "ensemble.nc", engine="h5netcdf") as ds:
        assert list(ds.case.values) == ["baseline", "scenario"] and ds.sizes["member"] == 4
        assert ds.alignment.attrs["units"]
    header = (out / "summary.csv").read_text().splitlines()[0]
    assert header == "case,quarter,year,state,power,variable,channel,segment,units,mean,p05,p50,p95"


def test_same_seed_gives_identical_summary(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    scenario = short_scenario(tmp_path, horizon=12)
    for out in (first, second):
        result = invoke("run", scenario, "--seed", 7, "--members", 6, "--out", out, "--no-plots", "--quiet")
        assert result.exit_code == 0, result.output
    assert (first / "summary.csv").read_bytes() == (second / "summary.csv").read_bytes()
    assert not list(first.glob("*.png")), "--no-plots writes no figures"


def test_member_option_reproduces_one_member_of_an_ensemble(tmp_path):
    scenario = short_scenario(tmp_path)
    assert invoke("run", scenario, "-n", 4, "-s", 3, "-o", tmp_path / "all", "--no-plots", "-q").exit_code == 0
    assert invoke("run", scenario, "--member", 2, "-s", 3, "-o", tmp_path / "one", "--no-plots", "-q").exit_code == 0
    with (
        xr.open_dataset(tmp_path / "all" / "ensemble.nc", engine="h5netcdf") as a,
        xr.open_dataset(tmp_path / "one" / "ensemble.nc", engine="h5netcdf") as b,
    ):
        assert list(b.member.values) == [2]
        np.testing.assert_array_equal(a.alignment.sel(member=[2]).values, b.alignment.values)


def test_default_folder_is_timestamped_and_never_overwritten(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = short_scenario(tmp_path)
    folders = []
    for _ in range(2):
        result = invoke("run", scenario, "-n", 2, "--no-plots", "-q")
        assert result.exit_code == 0, result.output
        folders.append(Path(result.output.strip().splitlines()[-1]))
    assert folders[0] != folders[1]
    assert all(f.parent == Path("results") / "remittance_shock" and is_complete(f) for f in folders)


def test_existing_output_folder_is_refused(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("run", short_scenario(tmp_path), "-n", 2, "-o", out)
    assert result.exit_code == 2
    assert "never overwrites" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_interrupted_run_leaves_no_folder_that_looks_complete(tmp_path, monkeypatch, failure):
    def boom(*args, **kwargs):
        raise failure("stopped while writing figures")

    monkeypatch.setattr("casim.plots.save_figures", boom)
    out = tmp_path / "run"
    result = invoke("run", short_scenario(tmp_path), "-n", 2, "-o", out)
    assert result.exit_code != 0
    assert not out.exists() and not list(tmp_path.glob("run*"))
    if failure is KeyboardInterrupt:
        assert result.exit_code == 130 and "interrupted" in result.output


def test_bad_scenario_gives_located_message_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ndescription: d\nevents:\n  - at: 2\n    variable: flow\n    channels: remitances\n"
        "    op: multiply\n    value: 0.5\n"
    )
    result = invoke("run", bad)
    assert result.exit_code == 2
    assert f"{bad}:6:15" in result.output and "did you mean 'remittances'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "results").exists()


def test_missing_file_is_a_clear_error(tmp_path):
    result = invoke("run", tmp_path / "nope.yaml")
    assert result.exit_code == 2 and "cannot read the file" in result.output and "Traceback" not in result.output


def test_validate_library_folder_and_bad_file(tmp_path):
    result = invoke("validate", LIBRARY)
    assert result.exit_code == 0 and result.output.count("ok ") == len(list(LIBRARY.rglob("*.yaml")))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ndescription: d\nmembrs: 3\n")
    shutil.copy(SHOCK, tmp_path / "good.yaml")
    result = invoke("validate", tmp_path)
    assert result.exit_code == 2
    assert f"{bad}:3:1: membrs: unknown field 'membrs'" in result.output and "did you mean 'members'" in result.output
    assert "1 of 2 file(s) have problems" in result.output


def test_schema_prints_json():
    result = invoke("schema")
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "casim scenario"


def test_list_shows_names_and_descriptions():
    result = invoke("list", LIBRARY)
    assert result.exit_code == 0
    assert "remittance_shock" in result.output and "crack" in result.output
    assert invoke("list", "/no/such/folder").exit_code == 2
