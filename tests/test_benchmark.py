"""The benchmark script runs (slow: run by hand with ``pytest -m slow``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmark_quick_mode_runs_and_reports(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "benchmark.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    assert results["machine"]["cores"] >= 1
    assert results["one_at_a_time"]["speedup_serial"] > 1
    assert results["default_run"]["seconds"] > 0
    assert results["paired_large"]["dask"]["summary_identical"] is True
    assert len(results["targets"]) >= 7 and "paired_huge" in results
    assert results["sensitivity"]["morris"]["rows"] > 0 and results["sensitivity"]["sobol"]["rows"] > 0
