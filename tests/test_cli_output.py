"""What the commands accept and print for scripts and new users: library names, --version,
full descriptions, --json, the size notice and --keep summary, progress phases, and the
labelled, CF-described files a run writes."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from casim.library import scenario_dir, scenario_summaries
from helpers import assert_clean, invoke, short_scenario, tiny_scenario


def test_version():
    import casim

    result = invoke("--version")
    assert_clean(result, 0, f"casim {casim.__version__}", "mesa 3.")


def test_library_names_are_accepted_wherever_a_scenario_path_is(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no scenarios/ here: the names come from the library
    result = invoke("run", "remittance_shock", "-n", "2", "--no-plots", "-q", "-o", tmp_path / "a")
    assert_clean(result, 0)
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["sources"]["remittance_shock"].endswith("scenarios/remittance_shock.yaml")
    assert_clean(invoke("validate", "wheat_ban.yaml"), 0, "ok")
    assert_clean(invoke("run", "remitance_shock"), 2, "did you mean 'remittance_shock'", "casim list")
    assert_clean(invoke("run", "nowhere/remittance_shock.yaml"), 2, "cannot read the file")
    assert not (tmp_path / "results").exists()


def test_list_prints_every_description_whole():
    result = invoke("list")
    assert_clean(result, 0)
    flat = " ".join(result.output.split())
    for row in scenario_summaries(scenario_dir()):
        assert row.description in flat, row.name
    assert "…" not in result.output
    listed = json.loads(invoke("list", "--json").output)
    assert {r["name"] for r in listed} >= {"remittance_shock", "baseline"}


def test_first_sentence_never_ends_mid_word():
    from casim.library import first_sentence

    cut = first_sentence("word " * 60, limit=50)
    assert cut.endswith("word…") and len(cut) <= 50


def test_run_json_is_the_folder_and_the_change_table(tmp_path):
    result = invoke("run", short_scenario(tmp_path), "-n", "4", "--no-plots", "--json", "-o", tmp_path / "r")
    assert_clean(result, 0)
    data = json.loads(result.stdout)
    assert data["folder"] == str(tmp_path / "r") and data["scenario"] == "remittance_shock"
    assert "ensemble.nc" in data["files"] and len(data["changes"]) == 5 * 6
    row = next(r for r in data["changes"] if r["state"] == "Tajikistan" and r["pole"] == "Russia")
    assert row["peak"] < 0 and set(row) >= {"peak_quarter", "peak_p05", "peak_p95", "horizon", "p_up"}


def test_compare_explain_and_check_json(tmp_path, monkeypatch):
    scenario = short_scenario(tmp_path)
    compared = invoke("compare", scenario, "-n", "3", "--no-plots", "--json", "-o", tmp_path / "c")
    assert_clean(compared, 0)
    data = json.loads(compared.stdout)
    assert data["scenarios"] == ["remittance_shock"] and data["changes"][0]["scenario"] == "remittance_shock"
    explained = invoke("explain", scenario, "-n", "3", "--state", "TJ", "--no-plots", "--json", "-o", tmp_path / "e")
    assert_clean(explained, 0)
    data = json.loads(explained.stdout)
    parts = data["states"]["Tajikistan"]["contributions"]
    assert {p["part"] for p in parts} >= {"total", "remittances"}
    # check: the results as JSON, and the exit code still says whether every fact holds
    import casim.check

    facts = casim.check.FACTS[:2]
    monkeypatch.setattr(casim.check, "FACTS", facts)
    checked = invoke("check", "-n", "4", "--json")
    data = json.loads(checked.stdout)
    assert checked.exit_code == (0 if data["passed"] else 1)
    assert len(data["facts"]) == 2 and data["members"] == 4


def test_a_large_run_says_its_size_first_and_keep_summary_leaves_the_ensemble_out(tmp_path, monkeypatch):
    import casim.resources

    monkeypatch.setattr(casim.resources, "LARGE_RUN", 1_000)
    scenario = tiny_scenario(tmp_path, horizon=3, members=3)
    result = invoke("run", scenario, "--no-plots", "-o", tmp_path / "all")
    assert_clean(result, 0, "this run: 3 members", "on disk", "--keep summary leaves the ensemble file out")
    kept = invoke("run", scenario, "--no-plots", "--keep", "summary", "-o", tmp_path / "summary")
    assert_clean(kept, 0)
    files = {p.name for p in (tmp_path / "summary").iterdir()}
    assert "ensemble.nc" not in files and {"summary.csv", "changes.csv", "manifest.json"} <= files
    assert "ensemble.nc" not in json.loads((tmp_path / "summary" / "manifest.json").read_text())["files"]
    assert_clean(invoke("run", scenario, "--keep", "nothing", "-o", tmp_path / "x"), 2, "expected one of all, summary")


def test_keep_summary_of_a_streamed_run_removes_the_workspace(tmp_path, monkeypatch):
    import casim.results_folder

    monkeypatch.setattr(casim.results_folder, "STREAM_ABOVE", 1)  # stream even a tiny run
    scenario = tiny_scenario(tmp_path, horizon=3, members=3)
    assert_clean(invoke("run", scenario, "--no-plots", "--keep", "summary", "-q", "-o", tmp_path / "s"), 0)
    assert not (tmp_path / "s" / "ensemble.nc").exists() and (tmp_path / "s" / "summary.csv").is_file()


def test_phases_after_the_simulation_are_named(tmp_path):
    from casim.results_folder import execute
    from casim.scenario import load_scenario

    phases: list[str] = []
    execute(load_scenario(tiny_scenario(tmp_path, horizon=3)), out=tmp_path / "r", phase=phases.append)
    assert phases == ["writing the ensemble file", "computing summaries", "drawing figures"]


def test_progress_bar_shows_time_left():
    from rich.progress import TimeRemainingColumn

    from casim.cli_common import progress_bar, track

    with progress_bar(False) as bar:
        assert any(isinstance(c, TimeRemainingColumn) for c in bar.columns)
        tracker = track(bar, "simulating")
        tracker(3, 10)
        tracker.phase("drawing figures")
        (task,) = bar.tasks
        assert task.description == "drawing figures" and task.total is None


def test_summary_has_channel_segment_and_units_columns(tmp_path):
    import pandas as pd

    out = tmp_path / "r"
    assert_clean(invoke("run", short_scenario(tmp_path, horizon=4), "-n", "3", "--no-plots", "-q", "-o", out), 0)
    table = pd.read_csv(out / "summary.csv", keep_default_na=False)
    flow = table[table["variable"] == "flow"]
    assert set(flow["channel"]) == {"remittances", "energy", "security", "fdi", "trade", "aid", "media", "education"}
    assert (flow["segment"] == "").all() and flow["units"].str.startswith("fraction of GDP").all()
    segments = table[table["variable"] == "segment_favourability"]
    assert set(segments["segment"]) == {"migrant_household", "russian_media", "rural", "youth"}
    assert not table["variable"].str.contains(".", regex=False).any()
    assert (table[table["variable"] == "alignment"]["units"] == "share (sums to 1 over poles)").all()


@pytest.mark.parametrize("streamed", [False, True])
def test_ensemble_file_follows_cf_with_a_time_coordinate(tmp_path, monkeypatch, streamed):
    import casim.results_folder

    if streamed:
        monkeypatch.setattr(casim.results_folder, "STREAM_ABOVE", 1)
    out = tmp_path / "r"
    assert_clean(invoke("run", short_scenario(tmp_path, horizon=5), "-n", "3", "--no-plots", "-q", "-o", out), 0)
    with xr.open_dataset(out / "ensemble.nc", engine="h5netcdf") as ds:
        assert ds.attrs["Conventions"] == "CF-1.8"
        assert ds["time"].dims == ("quarter",) and np.issubdtype(ds["time"].dtype, np.datetime64)
        assert [str(t)[:10] for t in ds["time"].values[:3]] == ["2026-01-01", "2026-04-01", "2026-07-01"]
        assert ds["time"].attrs["standard_name"] == "time"
        for name in ("alignment", "flow", "gdp_index"):
            attrs = ds[name].attrs
            assert attrs["long_name"] and attrs["units"] == "1" and attrs["comment"].startswith("scale: ")
        assert list(ds.attrs["event_quarters"]) == [1, 5]  # the crackdown acts over the whole short run
