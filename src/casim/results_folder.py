"""Results folders: the one writer and reader of what ``casim run``, ``compare`` and ``explain`` leave.

A results folder is written under a temporary name unique to the process and renamed only
when complete (:func:`casim.folders.atomic_folder`); if anything fails or the user
interrupts, the temporary folder is removed, so a folder under its final name is always
complete. Every folder holds
a ``manifest.json`` built by :func:`build_manifest` (what is needed to reproduce it and
trust its provenance). :func:`read_run` reads a run's folder back (its scenario, paired
ensemble and manifest) for ``casim compare`` and ``casim report``.

:func:`execute` is ``casim run``: it runs a scenario against its baseline
(:func:`casim.experiment.run_experiment`) inside the temporary folder, streaming large
ensembles to disk, and writes the resolved scenario, ``ensemble.nc``, ``summary.csv``,
``changes.csv``, the figures and the manifest.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr
import yaml

from casim.errors import CasimError
from casim.experiment import Experiment, run_experiment
from casim.folders import PARTIAL, atomic_folder, check_target, lock_path
from casim.resources import Plan, plan_run
from casim.results import ENSEMBLE_FILE, change_table, load_ensemble, open_ensemble, save_ensemble, summarise
from casim.scenario import Scenario

DEPENDENCIES = ("numpy", "scipy", "mesa", "xarray", "pandas", "matplotlib", "pydantic", "typer", "pyyaml", "h5netcdf")
MANIFEST = "manifest.json"
SCENARIO_FILE = "scenario.yaml"
#: The printed table: change per state and pole at its peak, at the horizon and on average.
CHANGES_FILE = "changes.csv"
#: Largest manifest read back (casim writes a few kB).
MAX_MANIFEST = 1_000_000
#: Ensembles whose outputs exceed this many bytes stream to disk instead of memory.
STREAM_ABOVE = 500_000_000
#: What ``casim run --keep`` may keep: everything, or the summaries without the ensemble file.
KEEP = ("all", "summary")

Progress = Callable[[int, int], None]
#: Writes extra files into a run's folder while it is written: ``(experiment, folder, manifest) -> names``.
Extra = Callable[[Experiment, Path, dict], list[str]]


# --------------------------------------------------------------------------- folders


def timestamp() -> str:
    """Local time as ``YYYYmmdd-HHMMSS`` for folder names."""
    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


def new_folder(root: Path, name: str) -> Path:
    """A path under ``root`` that no one writes yet: ``name``, else ``name-2``, ``name-3`` ..."""
    candidate, k = root / name, 1
    while candidate.exists() or lock_path(candidate).exists():
        k += 1
        candidate = root / f"{name}-{k}"
    return candidate


def default_folder(kind: str, name: str | None = None, root: str | Path = "results") -> Path:
    """Where a run, comparison or explanation goes unless ``--out`` says otherwise."""
    base = Path(root) / name if kind == "run" else Path(root) / kind / (name or "")
    return new_folder(base, timestamp())


def is_complete(folder: str | Path) -> bool:
    """Whether ``folder`` is a finished casim results folder."""
    folder = Path(folder)
    return PARTIAL not in folder.name and (folder / MANIFEST).is_file() and (folder / ENSEMBLE_FILE).is_file()


# --------------------------------------------------------------------------- manifests


def dependency_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in DEPENDENCIES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[name] = importlib.metadata.version(name)
    return out


def _sha256(path: str | None) -> str | None:
    if path and Path(path).is_file():
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return None


def build_manifest(
    kind: str,
    *,
    scenarios: Mapping[str, Scenario],
    seed: int,
    member_ids: Sequence[int],
    files: Sequence[str],
    parameter_hash: Mapping[str, str] | None = None,
    command: str | None = None,
    sources: Mapping[str, str | None] | None = None,
    timings: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict:
    """What is needed to reproduce a results folder and trust its provenance (the one manifest builder).

    Args:
        kind: ``run``, ``compare`` or ``explain``.
        scenarios: The resolved scenarios the folder holds, by name.
        seed: The common seed.
        member_ids: The members, in order.
        files: The folder's files (the manifest included).
        parameter_hash: A hash of each case's parameter set.
        command: The command line (default: this process's).
        sources: The file or folder each scenario came from, by name.
        timings: Seconds per phase.
        extra: Fields particular to the kind.
    """
    from casim import __version__

    ids = [int(m) for m in member_ids]
    sources = dict(sources or {})
    names = list(scenarios)
    first = scenarios[names[0]]
    out: dict[str, Any] = {
        "casim_version": __version__,
        "kind": kind,
        "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "scenario": names[0] if len(names) == 1 else None,
        "scenarios": names,
        "scenario_file": sources.get(names[0]) if len(names) == 1 else None,
        "sources": sources,
        "scenario_sha256": {name: _sha256(path) for name, path in sources.items()},
        "seed": int(seed),
        "members": len(ids),
        "member_ids": [ids[0], ids[-1]] if len(ids) > 20 else ids,
        "member_ids_are": "first and last" if len(ids) > 20 else "all",
        "start": str(first.start_quarter()),
        "horizon": int(first.horizon),
        "sample_ranges": bool(first.sample_ranges),
        "parameter_hash": dict(parameter_hash or {}),
        "command_line": command or "casim " + " ".join(sys.argv[1:]),
        "dependencies": dependency_versions(),
        "platform": f"{platform.system()} {platform.machine()}",
        "timings_seconds": {k: round(v, 3) for k, v in (timings or {}).items()},
        "files": sorted(files),
    }
    out.update(extra or {})
    return out


def experiment_manifest(kind: str, experiment: Experiment, **fields: Any) -> dict:
    """:func:`build_manifest` for the runs of an experiment (its scenarios, seed, members, hashes)."""
    hashes = experiment.parameter_hashes
    if len(experiment.names) == 1:
        name = experiment.names[0]
        hashes = {"baseline": hashes[experiment.baseline_of[name]], "scenario": hashes[name]}
    fields.setdefault("timings", experiment.timings)
    return build_manifest(
        kind,
        scenarios=experiment.scenarios,
        seed=experiment.seed,
        member_ids=experiment.data.member.values,
        parameter_hash=hashes,
        **fields,
    )


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


# --------------------------------------------------------------------------- runs


@dataclass
class RunFolder:
    """A written results folder with its summaries."""

    folder: Path
    summary: pd.DataFrame
    changes: pd.DataFrame


def _write_run(
    experiment: Experiment,
    temp: Path,
    plots: bool,
    command: str | None,
    source: str | None,
    extra: Extra | None,
    start: float,
    keep: str = "all",
    phase: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = experiment.scenario
    paired = experiment.paired
    phase = phase or (lambda name: None)
    files = [SCENARIO_FILE, "summary.csv", CHANGES_FILE]
    if keep == "all":
        files.append(ENSEMBLE_FILE)
    (temp / SCENARIO_FILE).write_text(
        yaml.safe_dump(scenario.to_yaml_dict(), sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    if experiment.stored is None and keep == "all":
        phase("writing the ensemble file")
        save_ensemble(paired, temp / ENSEMBLE_FILE)
    timings = dict(experiment.timings)
    t0 = time.perf_counter()
    phase("computing summaries")
    summary = summarise(paired)
    summary.to_csv(temp / "summary.csv", index=False, float_format="%.6g")
    table = change_table(paired)
    table.to_csv(temp / CHANGES_FILE, index=False, float_format="%.6g")
    timings["summarise"] = time.perf_counter() - t0
    if plots:
        from casim.plots import save_figures

        t0 = time.perf_counter()
        phase("drawing figures")
        files += save_figures(paired, temp)
        timings["plots"] = time.perf_counter() - t0
    sources = {scenario.name: source}

    def manifest() -> dict:
        return experiment_manifest(
            "run", experiment, files=[*files, MANIFEST], command=command, sources=sources, timings=timings
        )

    if extra is not None:
        phase("writing the report")
        files += extra(experiment, temp, manifest())
    timings["total"] = time.perf_counter() - start
    write_json(temp / MANIFEST, manifest())
    return summary, table


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
    on_plan: Callable[[Plan], None] | None = None,
    scheduler: str | None = None,
    keep: str = "all",
    phase: Callable[[str], None] | None = None,
) -> RunFolder:
    """``casim run``: simulate ``scenario`` with its baseline and write the results folder, all atomically.

    The simulation runs inside the temporary folder: an interrupt at any point leaves no
    folder that looks complete. Ensembles too large for memory stream to ``ensemble.nc``
    chunk by chunk (:data:`casim.store.COMPRESS_BELOW` sets when compression is dropped).
    Before anything runs, the memory and disk the run needs are estimated
    (:func:`casim.resources.plan_run`); ``on_plan`` receives the plan.

    ``keep="summary"`` leaves the ensemble file out of the folder (summaries, change table,
    figures and manifest only): a large run then needs its disk only while it runs, if it
    streams, and not at all otherwise. ``phase`` is called with the name of each phase after
    the simulation (summaries, figures, writing).

    Raises:
        CasimError: for a target folder casim may not write, or a run that would fit neither
            in memory nor on the disk.
        RunFailed: if the run cannot complete (non-finite results, a full disk).
    """
    from casim.api import DEFAULT_CHUNK, PARALLEL_FROM

    if keep not in KEEP:
        raise CasimError("--keep", 0, 0, "", f"expected one of {', '.join(KEEP)}, got '{keep}'")
    n = 1 if member is not None else (members or scenario.members)
    final = check_target(
        Path(out) if out is not None else default_folder("run", scenario.name, results_root), create_parent=True
    )
    parallel = executor in ("processes", "dask") or (executor == "auto" and n >= PARALLEL_FROM)
    plan = plan_run(
        n,
        scenario.horizon,
        folder=final,
        stream_above=STREAM_ABOVE,
        chunk=DEFAULT_CHUNK,
        processes=(os.cpu_count() or 1) if parallel else 1,
        keep_ensemble=keep == "all",
    )
    if on_plan is not None:
        on_plan(plan)
    stream = plan.stream
    start = time.perf_counter()
    with atomic_folder(final) as temp:
        experiment = run_experiment(
            scenario,
            members=members,
            seed=seed,
            member=member,
            progress=progress,
            executor=executor,
            scheduler=scheduler,
            store=temp / ENSEMBLE_FILE if stream else None,
        )
        try:
            summary, table = _write_run(
                experiment, temp, plots, command, str(source) if source else None, extra, start, keep, phase
            )
        finally:
            experiment.close()
        if keep != "all":
            (temp / ENSEMBLE_FILE).unlink(missing_ok=True)  # streamed: the file was only a workspace
    return RunFolder(final, summary, table)


def write_analysis(
    kind: str,
    experiment: Experiment,
    *,
    out: str | Path | None = None,
    tables: Mapping[str, pd.DataFrame],
    figures: Mapping[str, Any] | None = None,
    command: str | None = None,
    extra: Mapping[str, Any] | None = None,
    results_root: str | Path = "results",
) -> Path:
    """Write the tables (CSV), figures (PNG) and manifest of an analysis into a new folder, atomically.

    Args:
        kind: ``sensitivity``, ``discover`` or ``robust`` (the default folder is
            ``results/<kind>/<scenario>/<time>``).
        experiment: The runs analysed (their scenarios, seed, members, hashes go in the manifest).
        out: Folder to create.
        tables: File stem -> table.
        figures: File stem -> matplotlib figure (closed once saved).
        command: The command line for the manifest.
        extra: Fields particular to the analysis, for the manifest.
    """
    import matplotlib.pyplot as plt

    final = Path(out) if out is not None else default_folder(kind, "_".join(experiment.names), results_root)
    with atomic_folder(final) as temp:
        files = []
        for stem, table in tables.items():
            table.to_csv(temp / f"{stem}.csv", index=False, float_format="%.6g")
            files.append(f"{stem}.csv")
        for stem, fig in (figures or {}).items():
            fig.savefig(temp / f"{stem}.png", dpi=110)
            plt.close(fig)
            files.append(f"{stem}.png")
        manifest = experiment_manifest(kind, experiment, files=[*files, MANIFEST], command=command, extra=extra)
        write_json(temp / MANIFEST, manifest)
    return final


def read_contents(folder: str | Path, lazy: bool = False) -> tuple[Scenario, xr.Dataset]:
    """The resolved scenario and the paired ensemble of a run's folder, complete or being written.

    Raises:
        CasimError: if the folder holds no run or its files cannot be read.
    """
    from casim.scenario import validate_document
    from casim.yamlsrc import load_yaml

    folder = Path(folder)
    if not (folder / ENSEMBLE_FILE).is_file() or not (folder / SCENARIO_FILE).is_file():
        raise CasimError(
            str(folder),
            0,
            0,
            "",
            f"not a casim results folder (no {ENSEMBLE_FILE} and {SCENARIO_FILE}); give a folder written by casim run",
        )
    scenario = validate_document(load_yaml(folder / SCENARIO_FILE), str(folder / SCENARIO_FILE))
    if not lazy:
        return scenario, load_ensemble(folder)
    try:
        return scenario, open_ensemble(folder / ENSEMBLE_FILE)
    except (OSError, ValueError) as err:
        raise CasimError(str(folder / ENSEMBLE_FILE), 0, 0, "", f"not a casim ensemble file ({err})") from None


def read_manifest(folder: str | Path) -> dict:
    """A results folder's manifest.

    Raises:
        CasimError: if it cannot be read.
    """
    path = Path(folder) / MANIFEST
    try:
        if path.stat().st_size > MAX_MANIFEST:
            raise CasimError(str(path), 0, 0, "", "the manifest is too large to be casim's")
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CasimError(str(path), 0, 0, "", f"cannot read the manifest: {err}") from None
    if not isinstance(data, dict):
        raise CasimError(str(path), 0, 0, "", "the manifest is not a JSON object (was it edited?)")
    return data


def read_run(folder: str | Path, lazy: bool = False) -> tuple[Scenario, xr.Dataset, dict]:
    """A complete run's folder read back: its resolved scenario, its paired ensemble and its manifest.

    Args:
        folder: A folder written by ``casim run``.
        lazy: Open the ensemble lazily (close it when done) instead of loading it.

    Raises:
        CasimError: if the folder is not a complete run folder or its files cannot be read.
    """
    folder = Path(folder)
    if not is_complete(folder):
        raise CasimError(
            str(folder),
            0,
            0,
            "",
            f"not a complete casim results folder (no {MANIFEST}, {SCENARIO_FILE} and {ENSEMBLE_FILE}); "
            "give a scenario file or a folder written by casim run",
        )
    manifest = read_manifest(folder)
    scenario, ensemble = read_contents(folder, lazy)
    return scenario, ensemble, manifest
