"""casim benchmarks: speed and memory of the engine, printed with the machine they ran on.

Usage (from the repository root, with casim installed)::

    python benchmarks/benchmark.py            # the full set (about four minutes on 2 cores)
    python benchmarks/benchmark.py --quick    # small sizes, to check the script works
    python benchmarks/benchmark.py --json benchmarks/last.json

Each measurement runs in a fresh Python process so that its peak memory (resident set
size of the process and of its worker processes) is its own. Measured:

1. the batched engine: member-quarters per second and peak memory for 100, 1,000 and
   10,000 members x 40 quarters (baseline only), serial (one core) and with worker
   processes (every core);
2. the same model stepped one member at a time, as Mesa's ``batch_run`` runs it (N
   separate one-member models), and the ratio to the batched engine;
3. ``casim run`` with 10,000 members and its paired baseline (simulation, summaries,
   figures, all written to disk);
4. the default ``casim run scenarios/remittance_shock.yaml`` (its own members, paired
   baseline, figures), median of three runs.

Results and the method are recorded in docs/performance.md.
"""

from __future__ import annotations

import argparse
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
import json, resource, time, sys
def peak_mb():
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024
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
        run_members(spec, 4, 0, executor="serial")  # warm up imports and caches
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


def cli_run(args: list[str]) -> dict:
    """Time one ``casim run`` in a fresh process (wall clock includes start-up and imports)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        code = f"""
            import subprocess
            start = time.perf_counter()
            subprocess.run([{sys.executable!r}, "-m", "casim.cli", "run", {str(SCENARIO)!r}, *{args!r},
                            "-o", {str(out)!r}, "-q"], check=True, capture_output=True)
            seconds = time.perf_counter() - start
            timings = json.load(open({str(out / "manifest.json")!r}))["timings_seconds"]
            print(json.dumps({{"seconds": seconds, "peak_mb": peak_mb(), "timings": timings}}))
        """
        return child(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (checks the script, not the targets)")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    options = parser.parse_args()
    sizes = (20, 100) if options.quick else (100, 1000, 10000)
    ratio_members = 20 if options.quick else 1000
    big = 200 if options.quick else 10000

    results: dict = {"machine": machine(), "batched": [], "date": time.strftime("%Y-%m-%d")}
    print("machine:", ", ".join(f"{k} {v}" for k, v in results["machine"].items()))
    print("\n1. batched engine, baseline, 40 quarters")
    print(f"{'members':>8} {'executor':>10} {'seconds':>9} {'member-quarters/s':>18} {'peak MB':>9}")
    for n in sizes:
        for executor in ("serial", "processes"):
            r = batched(n, executor)
            results["batched"].append({"members": n, "executor": executor, **r})
            print(f"{n:>8} {executor:>10} {r['seconds']:>9.2f} {r['rate']:>18,.0f} {r['peak_mb']:>9.0f}")

    print(f"\n2. one member at a time (Mesa batch_run, {ratio_members} one-member models, one process)")
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
        f"batched is {results['one_at_a_time']['speedup_serial']:.1f}x faster on one core, "
        f"{results['one_at_a_time']['speedup_processes']:.1f}x with worker processes"
    )

    print(f"\n3. casim run with {big} members and its paired baseline (40 quarters, figures)")
    r = cli_run(["--members", str(big), "--seed", "1"])
    results["paired_large"] = {"members": big, **r}
    sim = r["timings"].get("simulate_baseline", 0) + r["timings"].get("simulate_scenario", 0)
    print(f"{r['seconds']:.1f} s wall (simulation {sim:.1f} s), peak {r['peak_mb']:.0f} MB")

    print("\n4. default casim run scenarios/remittance_shock.yaml (median of three)")
    runs = [cli_run([]) for _ in range(1 if options.quick else 3)]
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
    if options.json:
        options.json.write_text(json.dumps(results, indent=2))
        print(f"\nwritten to {options.json}")


if __name__ == "__main__":
    main()
