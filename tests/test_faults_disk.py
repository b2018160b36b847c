"""Memory and disk: estimated before a run, refused with the figures, and a disk that fills
during a run ends it cleanly (issue 11, items 4 and 5)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from casim import resources
from casim.errors import CasimError, RunFailed
from casim.resources import output_bytes, plan_run
from helpers import REPOSITORY, assert_clean, invoke, tiny_scenario

GB = 1_000_000_000


def test_the_output_estimate_is_exact_for_a_small_run():
    """Four bytes per value: the estimate equals what a run records (checked against a real one)."""
    import casim

    ds = casim.simulate(None, members=2, seed=1)
    recorded = sum(ds[v].nbytes for v in ds.data_vars if v != "parameter_value")
    assert output_bytes(2, ds.sizes["quarter"] - 1, cases=1) == recorded


def test_the_largest_run_a_file_allows_is_refused_with_its_size(monkeypatch, tmp_path):
    """``members: 100000, horizon: 200`` needs about 158 GB of outputs: refused before it starts."""
    monkeypatch.setattr(resources, "free_memory", lambda: 24 * GB)
    monkeypatch.setattr(resources, "free_disk", lambda path: 80 * GB)
    with pytest.raises(CasimError, match=r"100,000 members x 201 quarters x 2 cases: about .*158\.\d GB on disk"):
        plan_run(100_000, 200, folder=tmp_path / "r", stream_above=500_000_000)
    path = tiny_scenario(tmp_path, horizon=200, members=100_000)
    result = invoke("run", path, "--no-plots", "--out", tmp_path / "r")
    assert_clean(result, 2, "158.", "GB is free there")
    assert not (tmp_path / "r").exists()


def test_a_run_too_big_for_memory_streams_to_disk(monkeypatch, tmp_path):
    monkeypatch.setattr(resources, "free_memory", lambda: int(2.4 * GB))
    monkeypatch.setattr(resources, "free_disk", lambda path: 80 * GB)
    plan = plan_run(20_000, 40, folder=tmp_path, stream_above=500_000_000)
    assert plan.stream and plan.memory < 0.7 * 2.4 * GB
    with pytest.raises(CasimError, match="of memory is available"):
        plan_run(20_000, 40, stream_above=10**18)  # nothing written: it must fit in memory


def test_commands_without_a_folder_refuse_what_memory_cannot_hold(monkeypatch, tmp_path):
    monkeypatch.setattr(resources, "free_memory", lambda: 1_000_000)
    path = tiny_scenario(tmp_path)
    assert_clean(invoke("compare", path, tiny_scenario(tmp_path, "b"), "-o", tmp_path / "c"), 2, "memory")


def test_a_disk_that_fills_during_a_streamed_run_stops_it_cleanly(monkeypatch, tmp_path):
    """Streaming forced by little memory; the disk 'fills' after the plan: exit 1, nothing left."""
    calls = {"n": 0}

    def disk(path):
        calls["n"] += 1
        return 80 * GB if calls["n"] == 1 else 1_000  # the plan sees room, the first chunk does not

    monkeypatch.setattr(resources, "free_memory", lambda: 25_000_000)
    monkeypatch.setattr(resources, "free_disk", disk)
    monkeypatch.setattr(resources, "PROCESS_BYTES", 0)
    monkeypatch.setattr(resources, "MEMBER_BYTES", 1)
    out = tmp_path / "run"
    result = invoke("run", tiny_scenario(tmp_path, members=200, horizon=8), "--no-plots", "--out", out)
    assert_clean(result, 1, "nearly full", "nothing was kept")
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name or p.name.endswith(".lock")]


def test_ensure_space_refuses_before_writing(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "free_disk", lambda path: 10_000)
    with pytest.raises(RunFailed, match="nearly full"):
        resources.ensure_space(tmp_path / "x.nc", 50_000)


@pytest.fixture
def small_disk():
    """A 3 MB tmpfs (needs permission to mount; skipped where there is none)."""
    if not sys.platform.startswith("linux") or shutil.which("mount") is None:
        pytest.skip("needs Linux mount")
    where = Path("/tmp") / f"casim-small-{uuid.uuid4().hex[:8]}"
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()


def test_a_real_full_disk_ends_in_a_message_not_a_crash(small_disk):
    """Before the fix, HDF5 crashed the process (exit 139) when the file was closed on a full disk."""
    script = textwrap.dedent(
        f"""
        import sys
        import casim
        from casim.errors import RunFailed
        try:
            casim.run_experiment({str(REPOSITORY / "scenarios" / "remittance_shock.yaml")!r}, members=40,
                                 store={str(small_disk / "ensemble.nc")!r})
        except RunFailed as error:
            print("RunFailed:", error)
            sys.exit(1)
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr[-2000:])
    assert "nearly full" in done.stdout and "Traceback" not in done.stderr
    result = invoke("run", REPOSITORY / "scenarios" / "remittance_shock.yaml", "-n", 40, "--out", small_disk / "r")
    assert_clean(result, 2, "free there")
