"""Faults of paths and arguments: every one a one-line error and an exit code, never a traceback.

Each case is one the hardening probe (issue 11, item 4) found ending in a traceback, a hang
or results stranded in a temporary folder.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from casim.folders import leftovers
from casim.rng import MAX_MEMBER_INDEX, MAX_MEMBERS, MAX_SEED
from helpers import assert_clean, invoke, tiny_scenario


def _no_temporaries(folder) -> None:
    assert not [p for p in folder.iterdir() if ".partial-" in p.name or p.name.endswith(".lock")]


def test_out_is_a_file(tmp_path):
    target = tmp_path / "taken"
    target.write_text("mine")
    result = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", target)
    assert_clean(result, 2, "this is a file")
    assert target.read_text() == "mine"
    _no_temporaries(tmp_path)


def test_out_under_a_file(tmp_path):
    (tmp_path / "file").write_text("x")
    result = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", tmp_path / "file" / "run")
    assert_clean(result, 2, "is a file, not a folder")


def test_out_is_a_symbolic_link(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    result = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", tmp_path / "link")
    assert_clean(result, 2, "symbolic link")
    assert not list((tmp_path / "real").iterdir())
    _no_temporaries(tmp_path)


def test_out_where_no_folder_can_be_made(tmp_path):
    result = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", "/proc/casim-cannot/run")
    assert_clean(result, 2, "cannot create its folder")


def test_out_name_too_long(tmp_path):
    result = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", tmp_path / ("x" * 300))
    assert_clean(result, 2, "the name is too long")
    _no_temporaries(tmp_path)


def test_a_300_character_scenario_name_is_refused_by_validation(tmp_path):
    path = tiny_scenario(tmp_path)
    path.write_text(path.read_text().replace("name: tiny", "name: " + "a" * 300))
    result = invoke("validate", path)
    assert_clean(result, 2, "name")
    assert len(result.output) < 2000, "the long value is not echoed in full"


@pytest.mark.parametrize(
    ("option", "value", "limit"),
    [
        ("--seed", str(2**64), MAX_SEED),
        ("--member", str(10**20), MAX_MEMBER_INDEX),
        ("--members", "1000000000", MAX_MEMBERS),
    ],
)
def test_numbers_beyond_their_range_are_refused_before_anything_runs(tmp_path, option, value, limit):
    start = time.perf_counter()
    result = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", tmp_path / "r", option, value)
    assert_clean(result, 2, option)
    assert str(limit) in result.output
    assert time.perf_counter() - start < 5 and not (tmp_path / "r").exists()


def test_a_number_that_is_not_an_integer(tmp_path):
    assert_clean(invoke("run", tiny_scenario(tmp_path), "--member", "1e20"), 2, "--member")


def test_validate_a_device_and_a_pipe_without_hanging(tmp_path):
    assert_clean(invoke("validate", "/dev/zero"), 2, "not a regular file")
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    outcome = {}
    worker = threading.Thread(target=lambda: outcome.setdefault("result", invoke("validate", fifo)))
    worker.start()
    worker.join(timeout=10)
    if worker.is_alive():  # unblock the reader before failing
        with open(fifo, "w") as f:
            f.write("x")
        worker.join()
        pytest.fail("validate hung on a FIFO")
    assert_clean(outcome["result"], 2, "not a regular file")


def test_validate_a_huge_file(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 3_000_000)
    assert_clean(invoke("validate", big), 2, "file too large")


def test_validate_a_folder_without_scenarios_and_a_missing_file(tmp_path):
    assert_clean(invoke("validate", tmp_path), 2)
    assert_clean(invoke("validate", tmp_path / "missing.yaml"), 2, "cannot read the file")


def test_report_out_may_be_a_folder(tmp_path):
    run = tmp_path / "run"
    assert_clean(invoke("run", tiny_scenario(tmp_path), "--no-plots", "-q", "--out", run), 0)
    target = tmp_path / "reports"
    target.mkdir()
    result = invoke("report", run, "--out", target, "--explain-members", 0)
    assert_clean(result, 0)
    assert (target / "report.html").is_file()


def test_report_on_a_truncated_ensemble(tmp_path):
    run = tmp_path / "run"
    assert_clean(invoke("run", tiny_scenario(tmp_path), "--no-plots", "-q", "--out", run), 0)
    ensemble = run / "ensemble.nc"
    with open(ensemble, "r+b") as f:
        f.truncate(ensemble.stat().st_size // 2)
    assert_clean(invoke("report", run, "--explain-members", 0), 2, "ensemble.nc")
    assert_clean(invoke("compare", run, tiny_scenario(tmp_path, "other"), "-o", tmp_path / "c"), 2, "ensemble.nc")


def test_report_on_a_folder_with_a_broken_manifest(tmp_path):
    run = tmp_path / "run"
    assert_clean(invoke("run", tiny_scenario(tmp_path), "--no-plots", "-q", "--out", run), 0)
    (run / "manifest.json").write_text("[1, 2, 3]")
    assert_clean(invoke("report", run, "--explain-members", 0), 2, "manifest")


def test_output_of_a_failed_run_leaves_no_leftovers(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", out)
    assert_clean(result, 2, "not empty")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert not leftovers(tmp_path)
