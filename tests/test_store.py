"""Streaming large ensembles to disk: chunked, streamed results equal results held in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import casim.api
from casim.experiment import run_experiment
from casim.resources import output_bytes
from casim.results import open_ensemble, summarise
from casim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "cpc_disruption.yaml"


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO).resolved(horizon=10)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_streamed_ensemble_equals_the_in_memory_one(tmp_path, monkeypatch, scenario, executor):
    memory = run_experiment(scenario, members=23, seed=4, executor="serial")
    monkeypatch.setattr(casim.api, "DEFAULT_CHUNK", 6)  # four chunks, written as they finish
    streamed = run_experiment(scenario, members=23, seed=4, executor=executor, store=tmp_path / "e.nc")
    try:
        assert list(streamed.paired.data_vars) == list(memory.paired.data_vars)
        for name in memory.paired.data_vars:
            np.testing.assert_array_equal(streamed.paired[name].values, memory.paired[name].values, err_msg=name)
            assert streamed.paired[name].attrs["units"] == memory.paired[name].attrs["units"]
        np.testing.assert_array_equal(streamed.paired["label"].values, memory.paired["label"].values)
        pd.testing.assert_frame_equal(summarise(streamed.paired), summarise(memory.paired))
    finally:
        streamed.close()


def test_stored_file_reopens_with_xarray(tmp_path, scenario):
    run = run_experiment(scenario, members=3, seed=1, store=tmp_path / "e.nc")
    run.close()
    with open_ensemble(tmp_path / "e.nc") as ds:
        assert list(ds.case.values) == ["baseline", "scenario"]
        assert ds.alignment.dims == ("case", "member", "quarter", "state", "pole")
        assert ds.attrs["scenario"] == "cpc_disruption" and ds.attrs["members"] == 3
        assert str(ds.label.values[0]) == "2026Q1"


def test_output_size_estimate():
    assert output_bytes(10_000, 40, ["alignment"]) == 2 * 10_000 * 41 * 30 * 4


def test_summaries_in_small_blocks_equal_summaries_in_one_go(scenario, monkeypatch):
    """Large ensembles are summarised a block of quarters at a time: the table must not change."""
    import casim.results
    from casim.results import change_table

    paired = run_experiment(scenario.resolved(members=5, horizon=6), executor="serial").paired
    whole = summarise(paired)
    whole_changes = change_table(paired)
    monkeypatch.setattr(casim.results, "SUMMARY_BLOCK", 2_000)
    assert len(casim.results._pieces(paired.flow)) > paired.sizes["state"]
    pd.testing.assert_frame_equal(summarise(paired), whole)
    pd.testing.assert_frame_equal(change_table(paired), whole_changes)
