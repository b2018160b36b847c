"""Comparing scenarios on common random numbers.

Every scenario runs on the same member seeds as the others and as the baseline, so the
differences between scenarios are not blurred by different draws. Inputs may be
scenario files or saved results folders (``casim run`` output); folders fix the seed and
the members the files are run with. Scenarios whose baselines are identical (same
parameters, assumptions and uncertainty) share one baseline run.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from casim.api import run_members, to_dataset
from casim.errors import CasimError
from casim.paramfile import parameter_hash
from casim.results import ENSEMBLE_FILE, load_ensemble, pair
from casim.runner import is_complete
from casim.scenario import Scenario, load_scenario

Progress = Callable[[int, int], None]


@dataclass
class Comparison:
    """Scenarios and their paired baselines on the same members.

    Attributes:
        runs: ``{scenario name: paired dataset (case = baseline, scenario)}``.
        sources: ``{scenario name: file or folder it came from}``.
        scenarios: ``{scenario name: resolved scenario}`` (from the file, or the folder's copy).
        seed: The common seed.
        notes: Remarks to show the user (e.g. scenarios with different baselines).
    """

    runs: dict[str, xr.Dataset]
    sources: dict[str, str]
    scenarios: dict[str, Scenario]
    seed: int
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return list(self.runs)

    @property
    def baseline(self) -> xr.Dataset:
        """The baseline case of the first scenario (all share it unless noted)."""
        return self.runs[self.names[0]].sel(case="baseline")

    def table(self) -> pd.DataFrame:
        """Change in alignment versus each scenario's baseline: at its peak, at the horizon, on average.

        Columns: scenario (its name), then those of :func:`casim.results.change_table` (``baseline``
        and ``value``: medians of the baseline and the scenario at the peak).
        """
        from casim.results import change_table

        frames = []
        for name, paired in self.runs.items():
            t = change_table(paired, "alignment").rename(columns={"scenario": "value"})
            t.insert(0, "scenario", name)
            frames.append(t)
        return pd.concat(frames, ignore_index=True)


def _from_folder(path: Path) -> tuple[Scenario, xr.Dataset]:
    if not is_complete(path):
        raise CasimError(
            str(path),
            0,
            0,
            "",
            "not a complete casim results folder (no manifest.json and "
            f"{ENSEMBLE_FILE}); give a scenario file or a folder written by casim run",
        )
    from casim.scenario import validate_document
    from casim.yamlsrc import load_yaml

    scenario = validate_document(load_yaml(path / "scenario.yaml"), str(path / "scenario.yaml"))
    return scenario, load_ensemble(path)


def gather(
    inputs: Sequence[str | Path],
    *,
    members: int | None = None,
    seed: int | None = None,
    fixed: bool = False,
    progress: Progress | None = None,
) -> Comparison:
    """Run (or load) every input on common members and seed.

    Scenario files draw their parameters from their ranges (each member the same draws in every
    scenario: common parameter draws) unless ``fixed``.

    Raises:
        CasimError: for unreadable inputs, folders that disagree on seed, members, start or
            horizon, or command-line values that contradict the folders.
    """
    if len(inputs) < 1:
        raise CasimError("", 0, 0, "", "give at least one scenario file or results folder")
    loaded: dict[str, tuple[Scenario, xr.Dataset | None, str]] = {}
    for item in inputs:
        path = Path(item)
        scenario, data = _from_folder(path) if path.is_dir() else (load_scenario(path), None)
        if fixed and data is None:
            scenario = scenario.resolved(sample_ranges=False)
        name, k = scenario.name, 2
        while name in loaded:
            name, k = f"{scenario.name}-{k}", k + 1
        loaded[name] = (scenario, data, str(path))

    folders = {n: d for n, (_, d, _) in loaded.items() if d is not None}
    if folders:
        seeds = {int(d.attrs["seed"]) for d in folders.values()}
        memberships = {tuple(int(m) for m in d.member.values) for d in folders.values()}
        if len(seeds) > 1 or len(memberships) > 1:
            raise CasimError(
                ", ".join(loaded[n][2] for n in folders),
                0,
                0,
                "",
                "the results folders were run with different seeds or members; common random "
                "numbers need the same ones (rerun them with the same --seed and --members)",
            )
        common_seed = seeds.pop()
        ids = list(memberships.pop())
        if seed is not None and seed != common_seed:
            raise CasimError("--seed", 0, 0, "", f"the results folders were run with seed {common_seed}")
        if members is not None and members != len(ids):
            raise CasimError("--members", 0, 0, "", f"the results folders hold {len(ids)} members")
    else:
        first = next(iter(loaded.values()))[0]
        common_seed = first.seed if seed is None else seed
        ids = list(range(members or first.members))

    timing = {(s.start_quarter(), s.horizon) for s, _, _ in loaded.values()}
    if len(timing) > 1:
        raise CasimError(
            ", ".join(src for _, _, src in loaded.values()),
            0,
            0,
            "",
            "the scenarios differ in start or horizon; a comparison needs the same ones",
        )

    runs: dict[str, xr.Dataset] = {}
    baselines: dict[str, xr.Dataset] = {}
    to_run = [n for n, (_, d, _) in loaded.items() if d is None]
    total = 2 * len(ids) * len(to_run)
    done = 0

    def report(n: int, _total: int) -> None:
        if progress is not None:
            progress(done + n, total)

    hashes: set[str] = set()
    for name, (scenario, data, _) in loaded.items():
        if data is not None:
            runs[name] = data
            continue
        scenario = scenario.resolved(seed=common_seed)
        base_spec, spec = scenario.baseline_runspec(), scenario.to_runspec()
        key = parameter_hash(base_spec.params) + repr(sorted(base_spec.uncertain)) + str(base_spec.sample_ranges)
        hashes.add(key)
        if key not in baselines:
            member_ids, data_ = run_members(base_spec, ids, common_seed, progress=report)
            baselines[key] = to_dataset(base_spec, member_ids, data_, common_seed)
        done += len(ids)
        member_ids, data_ = run_members(spec, ids, common_seed, progress=report)
        done += len(ids)
        paired = pair(baselines[key], to_dataset(spec, member_ids, data_, common_seed))
        runs[name] = paired
        loaded[name] = (scenario, None, loaded[name][2])
    notes = []
    if len(hashes) > 1:
        notes.append(
            "some scenarios change 'assumptions', so their baselines differ; each difference is taken "
            "against the scenario's own baseline, and the figures draw the first scenario's baseline"
        )
    return Comparison(
        runs=runs,
        sources={n: src for n, (_, _, src) in loaded.items()},
        scenarios={n: s for n, (s, _, _) in loaded.items()},
        seed=int(common_seed),
        notes=notes,
    )


def comparison_manifest(comp: Comparison, files: list[str], command: str, timings: dict[str, float]) -> dict:
    """Provenance of a comparison folder."""
    from casim import __version__
    from casim.runner import dependency_versions

    first = comp.runs[comp.names[0]]
    ids = [int(m) for m in first.member.values]
    return {
        "casim_version": __version__,
        "scenarios": comp.names,
        "sources": comp.sources,
        "seed": comp.seed,
        "members": len(ids),
        "member_ids": [ids[0], ids[-1]] if len(ids) > 20 else ids,
        "notes": comp.notes,
        "command_line": command,
        "dependencies": dependency_versions(),
        "timings_seconds": {k: round(v, 3) for k, v in timings.items()},
        "files": sorted(files),
    }


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
