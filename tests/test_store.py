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
    assert len(list(casim.results._pieces(paired.flow))) > paired.sizes["state"]
    pd.testing.assert_frame_equal(summarise(paired), whole)
    pd.testing.assert_frame_equal(change_table(paired), whole_changes)


def test_summaries_hold_one_block_at_a_time(tmp_path, monkeypatch):
    """Each block is read into a copy that is dropped after use: the lazy pieces of a file are
    never loaded in place (which kept every block, i.e. a whole output, in memory: 6.7 GB at
    100,000 members)."""
    import casim.results
    from casim.experiment import run_experiment
    from casim.results import open_ensemble, save_ensemble, summarise
    from casim.scenario import load_scenario

    paired = run_experiment(load_scenario("remittance_shock").resolved(members=4, horizon=4), executor="serial").paired
    save_ensemble(paired, tmp_path / "e.nc")
    seen = []
    pieces = casim.results._pieces

    def recorded(da):
        for piece in pieces(da):
            seen.append(piece)
            yield piece

    monkeypatch.setattr(casim.results, "_pieces", recorded)
    monkeypatch.setattr(casim.results, "SUMMARY_BLOCK", 2_000)
    with open_ensemble(tmp_path / "e.nc") as ds:
        summarise(ds, ["flow"])
        assert len(seen) > 5
        assert not any(piece.variable._in_memory for piece in seen)
