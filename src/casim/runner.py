"""Running a scenario against its baseline and writing a results folder.

:func:`run_scenario` simulates the scenario and its paired baseline on the same member
seeds (common random numbers) and :func:`write_run` writes a new folder holding the
resolved scenario, ``manifest.json``, the ensemble (``ensemble.nc``), ``summary.csv``,
``horizon.csv`` and the figures. The folder is written under a temporary name and
renamed only when complete; if anything fails or the user interrupts, the temporary
folder is removed, so a folder without the ``.partial`` suffix is always complete.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr
import yaml

from casim.api import DRAWS, parameter_draws, run_members, to_dataset
from casim.errors import CasimError
from casim.parameters import ParameterSet
from casim.paramfile import parameter_hash
from casim.results import ENSEMBLE_FILE, change_table, open_ensemble, pair, save_ensemble, summarise
from casim.scenario import Scenario

DEPENDENCIES = ("numpy", "scipy", "mesa", "xarray", "pandas", "matplotlib", "pydantic", "typer", "pyyaml", "h5netcdf")
PARTIAL = ".partial"
#: The printed table: change per state and pole at its peak, at the horizon and on average.
CHANGES_FILE = "changes.csv"
#: Ensembles whose outputs exceed this many bytes stream to disk instead of memory.
STREAM_ABOVE = 500_000_000

Progress = Callable[[int, int], None]
#: Writes extra files into a run's folder while it is written: ``(run, folder, manifest) -> names``.
Extra = Callable[["PairedRun", Path, dict], list[str]]


@dataclass
class PairedRun:
    """A scenario and its baseline, simulated on the same members.

    ``paired`` is in memory, or opened lazily from ``stored`` when the run was streamed to
    disk (close it with :meth:`close`).
    """

    scenario: Scenario
    paired: xr.Dataset
    timings: dict[str, float] = field(default_factory=dict)
    parameter_hashes: dict[str, str] = field(default_factory=dict)
    stored: Path | None = None

    def close(self) -> None:
        self.paired.close()


def simulate_pair(
    scenario: Scenario,
    *,
    members: int | None = None,
    seed: int | None = None,
    member: int | None = None,
    params: ParameterSet | None = None,
    progress: Progress | None = None,
    executor: str = "auto",
    workers: int | None = None,
    store: str | Path | None = None,
) -> PairedRun:
    """Simulate ``scenario`` and its baseline on the same member seeds.

    Args:
        scenario: A validated scenario.
        members: Ensemble size (default: the scenario's).
        seed: Seed (default: the scenario's).
        member: Run only this member index (to reproduce one member of an ensemble).
        params: Parameter set to start from (default: the packaged baseline).
        progress: Called with ``(members done, members total)`` over both cases.
        executor, workers: See :func:`casim.api.run_members`.
        store: Stream both cases chunk by chunk into this netCDF file instead of memory.
    """
    resolved = scenario.resolved(members=members if member is None else 1, seed=seed)
    ids = [member] if member is not None else resolved.members
    n = 1 if member is not None else resolved.members
    specs = {"baseline": resolved.baseline_runspec(params), "scenario": resolved.to_runspec(params)}
    datasets, timings = {}, {}
    writer = None
    if store is not None:
        from casim.model import member_indices
        from casim.outputs import OUTPUTS
        from casim.store import EnsembleFile

        writer = EnsembleFile(store, specs, member_indices(ids).tolist(), resolved.seed, list(OUTPUTS))
        writer.write_draws(specs["baseline"])
    try:
        for offset, (case, spec) in enumerate(specs.items()):
            start = time.perf_counter()
            report = (lambda done, total, o=offset: progress(o * n + done, 2 * n)) if progress else None
            sink = (lambda at, data, c=case: writer.write(c, at, data)) if writer else None
            member_ids, data = run_members(
                spec, ids, resolved.seed, progress=report, executor=executor, workers=workers, sink=sink
            )
            if writer is None:
                datasets[case] = to_dataset(spec, member_ids, data, resolved.seed)
            timings[f"simulate_{case}"] = time.perf_counter() - start
    finally:
        if writer is not None:
            writer.close()
    if writer is not None:
        paired = open_ensemble(store)
    else:
        paired = pair(datasets["baseline"], datasets["scenario"])
        draws = parameter_draws(specs["baseline"], paired.member.values.tolist(), resolved.seed)
        if draws is not None:
            paired[DRAWS] = draws
    paired.attrs["description"] = resolved.description.strip()
    hashes = {case: parameter_hash(spec.params) for case, spec in specs.items()}
    return PairedRun(resolved, paired, timings, hashes, Path(store) if store is not None else None)


def timestamp() -> str:
    """Local time as ``YYYYmmdd-HHMMSS`` for folder names."""
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def new_folder(root: Path, name: str) -> Path:
    """A path under ``root`` that does not exist yet: ``name``, else ``name-2``, ``name-3`` ..."""
    candidate, k = root / name, 1
    while candidate.exists() or candidate.with_name(candidate.name + PARTIAL).exists():
        k += 1
        candidate = root / f"{name}-{k}"
    return candidate


@contextlib.contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary sibling folder; rename it to ``final`` on success, delete it otherwise."""
    if final.exists() and any(final.iterdir()):
        raise CasimError(
            str(final),
            0,
            0,
            "--out",
            "the folder exists and is not empty; casim never overwrites results (choose another folder or remove it)",
        )
    temp = final.with_name(final.name + PARTIAL)
    if temp.exists():
        shutil.rmtree(temp)
    temp.mkdir(parents=True)
    try:
        yield temp
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    if final.exists():
        final.rmdir()  # an empty folder the user named with --out
    os.replace(temp, final)


def dependency_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


def manifest(run: PairedRun, files: list[str], command: str | None, source: Path | None) -> dict:
    """What is needed to reproduce a run and trust its provenance."""
    from casim import __version__

    paired = run.paired
    ids = paired.member.values
    member_info = [int(ids[0]), int(ids[-1])] if len(ids) > 20 else [int(i) for i in ids]
    out = {
        "casim_version": __version__,
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "scenario": run.scenario.name,
        "scenario_file": str(source) if source else None,
        "scenario_sha256": hashlib.sha256(source.read_bytes()).hexdigest() if source and source.exists() else None,
        "seed": int(paired.attrs.get("seed", run.scenario.seed)),
        "members": len(ids),
        "member_ids": member_info,
        "member_ids_are": "first and last" if len(ids) > 20 else "all",
        "start": str(run.scenario.start),
        "horizon": int(run.scenario.horizon),
        "parameter_hash": run.parameter_hashes,
        "command_line": command or " ".join(sys.argv),
        "dependencies": dependency_versions(),
        "platform": f"{platform.system()} {platform.machine()}",
        "timings_seconds": {k: round(v, 3) for k, v in run.timings.items()},
        "files": sorted(files),
    }
    return out


@dataclass
class RunFolder:
    """A written results folder with its summaries."""

    folder: Path
    summary: pd.DataFrame
    changes: pd.DataFrame


def _write_contents(
    run: PairedRun,
    temp: Path,
    plots: bool,
    command: str | None,
    source: Path | None,
    extra: Extra | None,
    start: float,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    files = ["scenario.yaml", ENSEMBLE_FILE, "summary.csv", CHANGES_FILE]
    (temp / "scenario.yaml").write_text(
        yaml.safe_dump(run.scenario.to_yaml_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    if run.stored is None:
        save_ensemble(run.paired, temp / ENSEMBLE_FILE)
    t0 = time.perf_counter()
    summary = summarise(run.paired)
    summary.to_csv(temp / "summary.csv", index=False, float_format="%.6g")
    table = change_table(run.paired)
    table.to_csv(temp / CHANGES_FILE, index=False, float_format="%.6g")
    run.timings["summarise"] = time.perf_counter() - t0
    if plots:
        from casim.plots import save_figures

        t0 = time.perf_counter()
        files += save_figures(run.paired, temp)
        run.timings["plots"] = time.perf_counter() - t0
    if extra is not None:
        files += extra(run, temp, manifest(run, [*files, "manifest.json"], command, source))
    run.timings["total"] = time.perf_counter() - start
    record = manifest(run, [*files, "manifest.json"], command, source)
    (temp / "manifest.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    return summary, table


def write_run(
    run: PairedRun,
    *,
    out: str | Path | None = None,
    plots: bool = True,
    source: str | Path | None = None,
    command: str | None = None,
    results_root: str | Path = "results",
    extra: Extra | None = None,
) -> RunFolder:
    """Write a complete results folder for an in-memory ``run`` (atomically; never overwriting).

    Args:
        run: The paired run.
        out: Exact folder to create (default ``results/<scenario>/<timestamp>``).
        plots: Write the PNG figures.
        source: The scenario file (recorded with its hash).
        command: The command line to record.
        results_root: Root for the default folder.
        extra: Writes further files into the temporary folder, given the manifest so far;
            returns their names (e.g. :func:`casim.report.write_report_into`).
    """
    start = time.perf_counter() - sum(v for k, v in run.timings.items() if k.startswith("simulate"))
    final = Path(out) if out is not None else new_folder(Path(results_root) / run.scenario.name, timestamp())
    with atomic_folder(final) as temp:
        summary, table = _write_contents(run, temp, plots, command, Path(source) if source else None, extra, start)
    return RunFolder(final, summary, table)


def execute(
    scenario: Scenario,
    *,
    source: str | Path | None = None,
    members: int | None = None,
    seed: int | None = None,
    member: int | None = None,
    out: str | Path | None = None,
    plots: bool = True,
    command: str | None = None,
    results_root: str | Path = "results",
    progress: Progress | None = None,
    executor: str = "auto",
    extra: Extra | None = None,
) -> RunFolder:
    """Simulate ``scenario`` with its baseline and write the results folder, all atomically.

    The simulation runs inside the temporary folder: an interrupt at any point leaves no
    folder that looks complete. Ensembles too large for memory stream to ``ensemble.nc``
    chunk by chunk (:data:`casim.store.COMPRESS_BELOW` sets when compression is dropped).
    """
    from casim.outputs import OUTPUTS
    from casim.store import output_bytes

    n = 1 if member is not None else (members or scenario.members)
    stream = output_bytes(n, scenario.horizon, list(OUTPUTS)) > STREAM_ABOVE
    final = Path(out) if out is not None else new_folder(Path(results_root) / scenario.name, timestamp())
    start = time.perf_counter()
    with atomic_folder(final) as temp:
        run = simulate_pair(
            scenario,
            members=members,
            seed=seed,
            member=member,
            progress=progress,
            executor=executor,
            store=temp / ENSEMBLE_FILE if stream else None,
        )
        try:
            summary, table = _write_contents(run, temp, plots, command, Path(source) if source else None, extra, start)
        finally:
            run.close()
    return RunFolder(final, summary, table)


def is_complete(folder: str | Path) -> bool:
    """Whether ``folder`` is a finished casim results folder."""
    folder = Path(folder)
    return (
        not folder.name.endswith(PARTIAL)
        and (folder / "manifest.json").is_file()
        and (folder / ENSEMBLE_FILE).is_file()
    )
