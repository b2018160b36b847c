"""casim benchmarks: speed and memory of the engine and the analyst's commands, with targets.

Usage (from the repository root, with ``pip install -e '.[analysis]'``)::

    python benchmarks/benchmark.py            # everything (about 25 minutes on 2 cores)
    python benchmarks/benchmark.py --quick    # small sizes, to check the script works
    python benchmarks/benchmark.py --skip-huge --json benchmarks/results.json

Each measurement runs in a fresh Python process. Memory is the peak of the resident set
summed over the process and all its children (worker processes, Dask workers), sampled
every 0.1 s with psutil. Measured:

1. the batched engine: member-quarters per second for 100, 1,000 and 10,000 members x 40
   quarters (baseline only), serial (one core) and with worker processes (every core);
2. the same model stepped one member at a time, as Mesa's ``batch_run`` runs it (N
   separate one-member models, one core), and the ratio to the batched engine on one core;
3. ``casim run`` with 10,000 members and its paired baseline (simulation, summaries,
   figures, all written to disk), and the same with ``--executor dask`` (a 2-worker
   LocalCluster), whose summary must equal the local one byte for byte;
4. ``casim run`` with 100,000 members and its paired baseline (streamed to disk);
5. ``casim sensitivity``: Morris with 20 trajectories over every sampled parameter, and
   Sobol' with N = 1,024 over the 20 sections;
6. the default ``casim run scenarios/remittance_shock.yaml``, median of three runs.

The script ends with the targets of issue 12 and whether each is met. Results and the
method are recorded in docs/performance.md and docs/scaling.md.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "remittance_shock.yaml"

CHILD_PRELUDE = """
import json, threading, time, sys
import psutil
_peak = [0]
def _watch():
    me = psutil.Process()
    while True:
        total = 0
        for proc in [me, *me.children(recursive=True)]:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        _peak[0] = max(_peak[0], total)
        time.sleep(0.1)
threading.Thread(target=_watch, daemon=True).start()
def peak_mb():
    time.sleep(0.15)
    return _peak[0] / 2**20
"""


def machine() -> dict:
    """The machine the benchmark runs on."""
    import numpy

    import casim

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "mesa": version("mesa"),
        "casim": casim.__version__,
    }


def child(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it must print one JSON object as its last line."""
    script = CHILD_PRELUDE + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark step failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def batched(members: int, executor: str, horizon: int = 40) -> dict:
    return child(f"""
        from casim.api import run_members
        from casim.paramfile import load_parameters
        from casim.spec import RunSpec
        spec = RunSpec(load_parameters(), horizon={horizon})
        from casim import kernels
        run_members(spec, 4, 0, executor="serial")  # warm up imports and caches
        if kernels.wanted({members}):  # and the compiled kernel this size will use (loaded from its disk cache)
            from casim.model import CentralAsiaModel
            CentralAsiaModel(spec, 4, 0, kernel=True).run()
        start = time.perf_counter()
        run_members(spec, {members}, 1, executor="{executor}")
        seconds = time.perf_counter() - start
        print(json.dumps({{"seconds": seconds, "rate": {members} * {horizon} / seconds, "peak_mb": peak_mb()}}))
    """)


def one_at_a_time(members: int, horizon: int = 40) -> dict:
    return child(f"""
        from mesa.batchrunner import batch_run
        from casim.model import CentralAsiaModel
        from casim.paramfile import load_parameters
        from casim.spec import RunSpec
        spec = RunSpec(load_parameters(), horizon={horizon})
        CentralAsiaModel(spec, members=[0], seed=1).run()  # warm up
        start = time.perf_counter()
        batch_run(CentralAsiaModel, parameters={{"spec": [spec], "members": [[k] for k in range({members})],
                  "seed": 1}}, number_processes=1, max_steps={horizon}, display_progress=False)
        seconds = time.perf_counter() - start
        print(json.dumps({{"seconds": seconds, "rate": {members} * {horizon} / seconds, "peak_mb": peak_mb()}}))
    """)


def cli(command: list[str], out: Path) -> dict:
    """Time one ``casim`` command in a fresh process (wall clock includes start-up and imports)."""
    code = f"""
        import subprocess
        start = time.perf_counter()
        done = subprocess.run([{sys.executable!r}, "-m", "casim", *{command!r}, "-o", {str(out)!r}, "-q"],
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit("casim failed: " + done.stderr[-2000:])
        seconds = time.perf_counter() - start
        timings = json.load(open({str(out / "manifest.json")!r}))["timings_seconds"]
        print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(), "timings": timings}}))
    """
    return child(code)


def cli_run(args: list[str], tmp: Path, name: str = "run") -> dict:
    return cli(["run", str(SCENARIO), *args], tmp / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the script, not the targets)")
    parser.add_argument("--skip-huge", action="store_true", help="leave out the 100,000-member run")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    options = parser.parse_args()
    quick = options.quick
    sizes = (20, 100) if quick else (100, 1000, 10000)
    ratio_members = 20 if quick else 1000
    big = 200 if quick else 10000
    huge = 400 if quick else 100000
    morris = ["--samples", "2", "--parameters", "alignment,flows"] if quick else ["--samples", "20"]
    sobol = ["--samples", "8", "--parameters", "alignment,flows"] if quick else ["--samples", "1024"]
    tmp = Path(tempfile.mkdtemp(prefix="casim-bench-"))

    results: dict = {"machine": machine(), "batched": [], "date": time.strftime("%Y-%m-%d")}
    print("machine:", ", ".join(f"{k} {v}" for k, v in results["machine"].items()))
    print("\n1. batched engine, baseline, 40 quarters")
    print(f"{'members':>8} {'executor':>10} {'seconds':>9} {'member-quarters/s':>18} {'peak MB (sum)':>14}")
    for n in sizes:
        for executor in ("serial", "processes"):
            r = batched(n, executor)
            results["batched"].append({"members": n, "executor": executor, **r})
            print(f"{n:>8} {executor:>10} {r['seconds']:>9.2f} {r['rate']:>18,.0f} {r['peak_mb']:>14.0f}")

    print(f"\n2. one member at a time (Mesa batch_run, {ratio_members} one-member models, one core)")
    single = one_at_a_time(ratio_members)
    serial = next(b for b in results["batched"] if b["members"] == ratio_members and b["executor"] == "serial")
    parallel = next(b for b in results["batched"] if b["members"] == ratio_members and b["executor"] == "processes")
    results["one_at_a_time"] = {
        "members": ratio_members,
        **single,
        "speedup_serial": serial["rate"] / single["rate"],
        "speedup_processes": parallel["rate"] / single["rate"],
    }
    print(f"{single['seconds']:.1f} s, {single['rate']:,.0f} member-quarters/s, peak {single['peak_mb']:.0f} MB")
    print(
        f"batched is {results['one_at_a_time']['speedup_serial']:.1f}x faster on one core each, "
        f"{results['one_at_a_time']['speedup_processes']:.1f}x with worker processes"
    )

    print(f"\n3. casim run with {big:,} members and its paired baseline (40 quarters, figures)")
    r = cli_run(["--members", str(big), "--seed", "1"], tmp, "large")
    d = cli_run(["--members", str(big), "--seed", "1", "--executor", "dask"], tmp, "large_dask")
    same = filecmp.cmp(tmp / "large" / "summary.csv", tmp / "large_dask" / "summary.csv", shallow=False)
    results["paired_large"] = {"members": big, **r, "dask": {**d, "summary_identical": same}}
    print(f"local: {r['seconds']:.1f} s wall, peak {r['peak_mb']:.0f} MB summed over processes")
    print(
        f"dask (LocalCluster, 2 workers): {d['seconds']:.1f} s wall, peak {d['peak_mb']:.0f} MB; "
        f"summary.csv identical to the local run: {same}"
    )

    if not options.skip_huge:
        print(f"\n4. casim run with {huge:,} members and its paired baseline (streamed to disk, no figures)")
        r = cli_run(["--members", str(huge), "--seed", "1", "--no-plots"], tmp, "huge")
        size = sum(p.stat().st_size for p in (tmp / "huge").iterdir())
        results["paired_huge"] = {"members": huge, **r, "folder_gb": size / 1e9}
        print(f"{r['seconds']:.0f} s wall, peak {r['peak_mb']:.0f} MB summed, folder {size / 1e9:.1f} GB")
        subprocess.run(["rm", "-rf", str(tmp / "huge")], check=False)

    print("\n5. casim sensitivity (remittance_shock, 40 quarters)")
    m = cli(["sensitivity", str(SCENARIO), *morris, "--no-plots"], tmp / "morris")
    rows = json.loads((tmp / "morris" / "manifest.json").read_text())["design_rows"]
    s = cli(["sensitivity", str(SCENARIO), "--method", "sobol", *sobol, "--no-plots"], tmp / "sobol")
    srows = json.loads((tmp / "sobol" / "manifest.json").read_text())["design_rows"]
    results["sensitivity"] = {"morris": {**m, "rows": rows}, "sobol": {**s, "rows": srows}}
    print(f"Morris ({' '.join(morris)}): {rows} design rows, {m['seconds']:.0f} s, peak {m['peak_mb']:.0f} MB")
    print(f"Sobol' ({' '.join(sobol)}): {srows} design rows, {s['seconds']:.0f} s, peak {s['peak_mb']:.0f} MB")

    print("\n6. default casim run scenarios/remittance_shock.yaml (median of three)")
    runs = [cli_run([], tmp, f"default{k}") for k in range(1 if quick else 3)]
    results["default_run"] = {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "all_seconds": [r["seconds"] for r in runs],
        "peak_mb": max(r["peak_mb"] for r in runs),
    }
    print(
        f"{results['default_run']['seconds']:.1f} s (runs: "
        f"{', '.join(f'{s:.1f}' for s in results['default_run']['all_seconds'])}), "
        f"peak {results['default_run']['peak_mb']:.0f} MB"
    )

    targets = [
        (
            "batched >= 20x one-at-a-time, 1,000 members, one core each",
            f"{results['one_at_a_time']['speedup_serial']:.1f}x",
            results["one_at_a_time"]["speedup_serial"] >= 20,
        ),
        (
            "10,000 members paired < 30 s",
            f"{results['paired_large']['seconds']:.1f} s",
            results["paired_large"]["seconds"] < 30,
        ),
        (
            "10,000 members paired < 4 GB summed",
            f"{results['paired_large']['peak_mb'] / 1024:.2f} GB",
            results["paired_large"]["peak_mb"] < 4096,
        ),
        ("dask LocalCluster equals the local run", str(same), same),
        ("Morris, 20 trajectories, every sampled parameter < 2 min", f"{m['seconds']:.0f} s", m["seconds"] < 120),
        ("Sobol' N = 1,024, 20 groups < 5 min", f"{s['seconds']:.0f} s", s["seconds"] < 300),
        ("default run < 10 s", f"{results['default_run']['seconds']:.1f} s", results["default_run"]["seconds"] < 10),
    ]
    if "paired_huge" in results:
        targets.insert(
            3,
            (
                "100,000 members paired, streamed, < 4 GB summed",
                f"{results['paired_huge']['peak_mb'] / 1024:.2f} GB in {results['paired_huge']['seconds']:.0f} s",
                results["paired_huge"]["peak_mb"] < 4096,
            ),
        )
    results["targets"] = [{"target": t, "measured": v, "met": bool(ok)} for t, v, ok in targets]
    print("\ntargets" + (" (--quick: sizes are not the targets)" if quick else ""))
    for t, v, ok in targets:
        print(f"  {'met   ' if ok else 'MISSED'} {t}: {v}")
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
        print(f"\nwritten to {options.json}")
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
