"""Comparing scenarios on common random numbers.

Every scenario runs on the same member seeds and parameter draws as the others and as the
baseline (one :func:`casim.experiment.run_experiment`), so the differences between
scenarios are not blurred by different draws. Inputs may be scenario files or saved
results folders (``casim run`` output, read with :func:`casim.results_folder.read_run`);
folders fix the seed and the members the files are run with. Scenarios whose baselines are
identical (same parameters, assumptions and uncertainty) share one baseline run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import xarray as xr

from casim.errors import CasimError
from casim.experiment import run_experiment
from casim.results_folder import build_manifest, read_run
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
        member_ids: The common members.
        parameter_hashes: A hash of each run's parameter sets.
        notes: Remarks to show the user (e.g. scenarios with different baselines).
    """

    runs: dict[str, xr.Dataset]
    sources: dict[str, str]
    scenarios: dict[str, Scenario]
    seed: int
    member_ids: list[int] = field(default_factory=list)
    parameter_hashes: dict[str, str] = field(default_factory=dict)
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
    scenario: common parameter draws) unless ``fixed``; they run as one experiment
    (:func:`casim.experiment.run_experiment`), sharing baselines where they can.

    Raises:
        CasimError: for unreadable inputs, folders that disagree on seed, members, start or
            horizon, or command-line values that contradict the folders.
    """
    if len(inputs) < 1:
        raise CasimError("", 0, 0, "", "give at least one scenario file or results folder")
    loaded: list[tuple[Scenario, xr.Dataset | None, str, dict]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            scenario, data, manifest = read_run(path)
            loaded.append((scenario, data, str(path), manifest.get("parameter_hash", {})))
        else:
            scenario = load_scenario(path)
            loaded.append((scenario.resolved(sample_ranges=False) if fixed else scenario, None, str(path), {}))

    folders = [(s, d) for s, d, _, _ in loaded if d is not None]
    if folders:
        seeds = {int(d.attrs["seed"]) for _, d in folders}
        memberships = {tuple(int(m) for m in d.member.values) for _, d in folders}
        if len(seeds) > 1 or len(memberships) > 1:
            raise CasimError(
                ", ".join(src for _, d, src, _ in loaded if d is not None),
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
        common_seed = loaded[0][0].seed if seed is None else seed
        ids = list(range(members or loaded[0][0].members))
    if len({(s.start_quarter(), s.horizon) for s, _, _, _ in loaded}) > 1:
        raise CasimError(
            ", ".join(src for _, _, src, _ in loaded),
            0,
            0,
            "",
            "the scenarios differ in start or horizon; a comparison needs the same ones",
        )

    to_run = [s for s, d, _, _ in loaded if d is None]
    experiment = run_experiment(to_run, members=ids, seed=common_seed, progress=progress) if to_run else None
    runs: dict[str, xr.Dataset] = {}
    scenarios: dict[str, Scenario] = {}
    sources: dict[str, str] = {}
    hashes: dict[str, str] = {}
    fresh = iter(experiment.names if experiment else [])
    for scenario, data, source, folder_hashes in loaded:
        name, k = scenario.name, 2
        while name in runs:
            name, k = f"{scenario.name}-{k}", k + 1
        if data is None:
            case = next(fresh)
            runs[name], scenarios[name] = experiment.pair(case), experiment.scenarios[case]
            hashes[name] = experiment.parameter_hashes[case]
            hashes[f"{name}:baseline"] = experiment.parameter_hashes[experiment.baseline_of[case]]
        else:
            runs[name], scenarios[name] = data, scenario
            hashes.update({f"{name}:{k}": v for k, v in folder_hashes.items()})
        sources[name] = source
    notes = []
    if experiment is not None and len(set(experiment.baseline_of.values())) > 1:
        notes.append(
            "some scenarios change 'assumptions', so their baselines differ; each difference is taken "
            "against the scenario's own baseline, and the figures draw the first scenario's baseline"
        )
    return Comparison(runs, sources, scenarios, int(common_seed), ids, hashes, notes)


def comparison_manifest(comp: Comparison, files: list[str], command: str, timings: dict[str, float]) -> dict:
    """The manifest of a comparison folder (:func:`casim.results_folder.build_manifest`)."""
    return build_manifest(
        "compare",
        scenarios=comp.scenarios,
        seed=comp.seed,
        member_ids=comp.member_ids,
        files=files,
        parameter_hash=comp.parameter_hashes,
        command=command,
        sources=comp.sources,
        timings=timings,
        extra={"notes": comp.notes},
    )
