"""Results folders under concurrency and crashes (issue 11, item 1).

Two runs aimed at one ``--out`` once produced a complete-looking folder holding one run's
manifest and the other's ensemble, and a run deleted any ``X.partial`` folder it found,
the user's own included. Now each writer has its own temporary folder and a lock.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

from casim import folders
from casim.errors import CasimError
from casim.folders import atomic_folder, leftovers, lock_path
from casim.results_folder import is_complete
from helpers import assert_clean, invoke, tiny_scenario


def test_two_runs_into_one_folder_never_mix(tmp_path):
    a = tiny_scenario(tmp_path, "first", horizon=8, members=40)
    b = tiny_scenario(tmp_path, "second", horizon=8, members=40)
    out = tmp_path / "shared"
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "casim", "run", str(s), "--no-plots", "-q", "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for s in (a, b)
    ]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2], results
    refused = next(err for code, _, err in results if code == 2)
    assert "another casim process" in refused or "not empty" in refused
    assert "Traceback" not in refused
    assert is_complete(out)
    manifest = json.loads((out / "manifest.json").read_text())
    with xr.open_dataset(out / "ensemble.nc", engine="h5netcdf") as ds:
        assert ds.attrs["scenario"] == manifest["scenario"]
    assert (out / "scenario.yaml").read_text().startswith(f"name: {manifest['scenario']}")
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name or p.name.endswith(".lock")]


def test_a_users_own_partial_folder_is_never_touched(tmp_path):
    mine = tmp_path / "run.partial"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert_clean(invoke("run", tiny_scenario(tmp_path), "--no-plots", "-q", "--out", tmp_path / "run"), 0)
    assert (mine / "notes.txt").read_text() == "mine"
    assert is_complete(tmp_path / "run")


def test_a_live_lock_refuses_and_a_stale_one_is_taken_over(tmp_path):
    target = tmp_path / "run"
    lock = lock_path(target)
    lock.write_text(folders._owner())  # this process: alive
    assert_clean(invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", target), 2, "another casim process")
    assert lock.exists() and not target.exists()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock.write_text(f"{folders.socket.gethostname()} {dead.stdout.strip()}")  # a process that has ended
    assert_clean(invoke("run", tiny_scenario(tmp_path), "--no-plots", "-q", "--out", target), 0)
    assert is_complete(target) and not lock.exists()


def test_a_target_created_meanwhile_is_neither_replaced_nor_mixed(tmp_path):
    target = tmp_path / "run"
    with pytest.raises(folders.WriteError, match="created by someone else"), atomic_folder(target) as temp:
        (temp / "result.txt").write_text("ours")
        target.mkdir()
        (target / "theirs.txt").write_text("theirs")
    assert [p.name for p in target.iterdir()] == ["theirs.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_empty_target_folder_is_used_and_a_failure_leaves_nothing(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    with atomic_folder(target) as temp:
        (temp / "x.txt").write_text("x")
    assert (target / "x.txt").read_text() == "x"
    with pytest.raises(RuntimeError), atomic_folder(tmp_path / "other") as temp:
        (temp / "x.txt").write_text("x")
        raise RuntimeError("stop")
    assert not (tmp_path / "other").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_leftovers_of_a_crashed_run_are_noticed_and_cleaned(tmp_path):
    """A writer killed outright (kill -9) leaves its temporary folder and lock; clean removes only those."""
    results = tmp_path / "results"
    code = (
        "import os, sys\n"
        "from casim.folders import atomic_folder\n"
        f"with atomic_folder({str(results / 'run')!r}) as temp:\n"
        "    (temp / 'half.nc').write_bytes(b'x' * 1000)\n"
        "    os._exit(9)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=False)
    (results / "mine.partial-1-x").mkdir()  # a user's folder that merely looks alike: no marker
    found = leftovers(results)
    assert sorted(p.path.name.split(".partial-")[0] for p in found) == [".run", ".run.lock"]  # folder and lock
    note = invoke("run", tiny_scenario(tmp_path), "--no-plots", "--out", results / "next")
    assert_clean(note, 0, "unfinished folder(s)", "casim clean")
    assert_clean(invoke("clean", results, "--dry-run"), 0, "would remove")
    assert len(leftovers(results)) == 2
    assert_clean(invoke("clean", results), 0, "removed 2 item(s)")
    assert leftovers(results) == [] and (results / "mine.partial-1-x").is_dir()
    assert is_complete(results / "next")
    assert_clean(invoke("clean", results), 0, "nothing to clean")


def test_check_target_refusals_are_located():
    with pytest.raises(CasimError, match="--out"):
        folders.check_target(Path(os.devnull))
