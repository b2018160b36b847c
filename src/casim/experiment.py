"""Experiments: scenarios against their paired baselines, on common member seeds and parameter draws.

:func:`run_experiment` is casim's one way of running scenarios: ``casim run``, ``compare``,
``explain``, ``check``, ``report`` and the app all call it. Every scenario and every
baseline runs on the same members, so member ``k`` draws the same random numbers and, where
parameters are sampled, the same parameter values in every case (common random numbers,
common parameter draws): differences between cases are member-by-member effects, not noise.
Scenarios whose baselines are identical (same parameters, assumptions and uncertainty)
share one baseline run.

The result is one labelled :class:`xarray.Dataset` with a ``case`` dimension (the baseline
cases and the scenarios, by name) beside each member's parameter draws, wrapped in an
:class:`Experiment` that knows which baseline each scenario pairs with
(:meth:`Experiment.pair` gives the two-case view the figures, tables and summaries use).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from casim.api import DRAWS, parameter_draws, run_members, to_dataset
from casim.design import Design
from casim.errors import CasimError
from casim.executors import release
from casim.model import CentralAsiaModel, member_indices
from casim.outputs import check_outputs
from casim.parameters import ParameterSet
from casim.paramfile import parameter_hash
from casim.results import CASES
from casim.scenario import Scenario, load_scenario
from casim.spec import RunSpec

Progress = Callable[[int, int], None]
BASELINE = "baseline"


@dataclass
class Experiment:
    """Scenarios and their baselines, run on the same members.

    Attributes:
        data: Outputs of every case, ``(case, member, quarter, ...)``, and ``parameter_value``
            ``(member, parameter)``: the draws of the first baseline (every case shares them,
            except elements a scenario pins).
        scenarios: The resolved scenarios by case name.
        baseline_of: For each scenario case, the case of its baseline.
        seed: The common seed.
        specs: The run of every case.
        timings: Seconds spent per case.
        inputs: With ``log_inputs``, each case's governments' inputs ``{field: (member, quarter, ...)}``.
        stored: The file the cases were streamed to, if any (``data`` is then opened lazily).
        labels: The label of each case on ``data``'s ``case`` axis (a one-scenario experiment
            streamed to a run's file labels its cases ``baseline`` and ``scenario``).
    """

    data: xr.Dataset
    scenarios: dict[str, Scenario]
    baseline_of: dict[str, str]
    seed: int
    specs: dict[str, RunSpec]
    timings: dict[str, float] = field(default_factory=dict)
    inputs: dict[str, dict[str, np.ndarray]] | None = None
    stored: Path | None = None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """The scenario cases, in the order given."""
        return list(self.scenarios)

    @property
    def scenario(self) -> Scenario:
        """The scenario of a one-scenario experiment."""
        return self.scenarios[self._only()]

    @property
    def paired(self) -> xr.Dataset:
        """The paired dataset of a one-scenario experiment (see :meth:`pair`)."""
        return self.pair(self._only())

    @property
    def parameter_hashes(self) -> dict[str, str]:
        """A short hash of each case's parameter set (for manifests)."""
        return {case: parameter_hash(spec.params) for case, spec in self.specs.items()}

    def _only(self) -> str:
        if len(self.scenarios) != 1:
            raise ValueError(f"the experiment holds {len(self.scenarios)} scenarios; name one")
        return self.names[0]

    def pair(self, name: str) -> xr.Dataset:
        """Scenario ``name`` and its baseline on a ``case`` dimension labelled ``baseline``, ``scenario``."""
        base = self.baseline_of[name]
        cases = [str(c) for c in self.data["case"].values]
        label = lambda case: self.labels.get(case, case)  # noqa: E731
        paired = self.data.isel(case=[cases.index(label(base)), cases.index(label(name))])
        paired = paired.assign_coords(case=list(CASES))
        paired.attrs.update(
            {
                "title": f"casim run: {name} and its baseline",
                "scenario": name,
                "description": self.scenarios[name].description.strip(),
                "event_quarters": [q for span in self.specs[name].event_windows() for q in span],
            }
        )
        return paired

    def close(self) -> None:
        """Close the file the data were streamed to (nothing to do in memory)."""
        self.data.close()


def baseline_key(spec: RunSpec) -> str:
    """What makes two baselines identical: parameters, uncertain distributions, sampling."""
    design = spec.design.key if spec.design is not None else ""
    return parameter_hash(spec.params) + repr(sorted(spec.uncertain.items())) + str(spec.sample_ranges) + design


ScenarioLike = Scenario | str | os.PathLike[str]


def _unique(scenarios: Sequence[ScenarioLike]) -> dict[str, Scenario]:
    """Scenarios by case name: their own names, made unique and distinct from the baselines'."""
    named: dict[str, Scenario] = {}
    for item in scenarios:
        scenario = item if isinstance(item, Scenario) else load_scenario(item)
        name, k = scenario.name, 2
        while name in named or name == BASELINE or name.startswith(f"{BASELINE}:"):
            name, k = f"{scenario.name}-{k}", k + 1
        named[name] = scenario
    return named


def run_experiment(
    scenarios: ScenarioLike | Sequence[ScenarioLike],
    *,
    members: int | Sequence[int] | None = None,
    seed: int | None = None,
    member: int | None = None,
    params: ParameterSet | None = None,
    outputs: Sequence[str] | None = None,
    executor: str = "auto",
    workers: int | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    store: str | Path | None = None,
    log_inputs: bool = False,
    design: Design | None = None,
    scheduler: str | None = None,
) -> Experiment:
    """Run scenarios and their paired baselines on common member seeds and parameter draws.

    Args:
        scenarios: One scenario or several (validated scenarios or paths of scenario files);
            they must share start and horizon.
        members: Ensemble size or member indices (default: the first scenario's ``members``).
        seed: The common seed (default: the first scenario's).
        member: Run only this member index (to reproduce one member of an ensemble).
        params: Parameter set to start from (default: the packaged baseline).
        outputs: Outputs to record (default all).
        executor, workers, chunk_size, scheduler: See :func:`casim.api.run_members` (never
            change results).
        progress: Called with ``(members done, members total)`` over every case.
        store: Stream every case chunk by chunk into this netCDF file instead of memory.
        log_inputs: Record the governments' inputs of every case (for ``casim explain``); runs
            each case as one model in this process.
        design: Place the members in the parameter ranges by this design (one member per
            row; default members: all its rows) instead of their own draws; every case
            shares it (:mod:`casim.design`).

    Raises:
        CasimError: if the scenarios differ in start or horizon.
    """
    single = isinstance(scenarios, (Scenario, str, os.PathLike))
    items = _unique([scenarios] if single else list(scenarios))
    if not items:
        raise CasimError("", 0, 0, "", "give at least one scenario")
    first = next(iter(items.values()))
    if len({(s.start_quarter(), s.horizon) for s in items.values()}) > 1:
        raise CasimError(
            ", ".join(items), 0, 0, "", "the scenarios differ in start or horizon; an experiment needs the same ones"
        )
    common_seed = first.seed if seed is None else int(seed)
    if member is not None:
        ids = member_indices([member])
    elif members is None and design is not None:
        ids = design.ids
    else:
        ids = member_indices(first.members if members is None else members)
    resolved = {name: s.resolved(seed=common_seed, members=len(ids)) for name, s in items.items()}

    specs: dict[str, RunSpec] = {}
    baseline_of: dict[str, str] = {}
    keys: dict[str, str] = {}
    for name, scenario in resolved.items():
        base = scenario.baseline_runspec(params)
        key = baseline_key(replace(base, design=design, sample_ranges=True) if design is not None else base)
        if key not in keys:
            keys[key] = BASELINE if not keys else f"{BASELINE}:{name}"
            specs[keys[key]] = base
        baseline_of[name] = keys[key]
    for name, scenario in resolved.items():
        specs[name] = scenario.to_runspec(params)
    if design is not None:
        specs = {case: replace(spec, design=design, sample_ranges=True) for case, spec in specs.items()}

    names = check_outputs(outputs)
    if store is None:  # in memory: refuse before starting what would not fit
        from casim.resources import plan_run

        plan_run(len(ids), first.horizon, cases=len(specs), outputs=names, stream_above=np.iinfo(np.int64).max)
    timings: dict[str, float] = {}
    inputs: dict[str, dict[str, np.ndarray]] | None = {} if log_inputs else None
    n = len(ids)
    writer = None
    labels = {case: case for case in specs}
    if len(resolved) == 1:  # a run's file: the two cases as a paired dataset labels them
        labels = dict(zip(specs, CASES, strict=True))
    if store is not None:
        from casim.store import EnsembleFile

        writer = EnsembleFile(
            store, {labels[c]: spec for c, spec in specs.items()}, ids.tolist(), common_seed, list(names)
        )
        writer.write_draws(specs[BASELINE])
    datasets: dict[str, xr.Dataset] = {}
    try:
        for k, (case, spec) in enumerate(specs.items()):
            start = time.perf_counter()
            report = (lambda done, total, o=k: progress(o * n + done, len(specs) * n)) if progress else None
            if log_inputs:
                model = CentralAsiaModel(spec, ids, common_seed, outputs=names, log_inputs=True)
                data = model.run()
                inputs[case] = model.input_log.data  # type: ignore[index]
                release(model)
                if report is not None:
                    report(n, n)
            else:
                sink = (lambda at, chunk, c=labels[case]: writer.write(c, at, chunk)) if writer else None
                _, data = run_members(
                    spec,
                    ids,
                    common_seed,
                    outputs=names,
                    chunk_size=chunk_size,
                    executor=executor,
                    workers=workers,
                    progress=report,
                    sink=sink,
                    scheduler=scheduler,
                )
            if writer is None:
                datasets[case] = to_dataset(spec, ids, data, common_seed)
            timings[f"simulate_{case}"] = time.perf_counter() - start
    finally:
        if writer is not None:
            writer.close()
    if writer is not None:
        from casim.results import open_ensemble

        data_all = open_ensemble(store)
    else:
        data_all = _stack(datasets, specs[BASELINE], ids, common_seed)
    data_all.attrs["cases"] = ", ".join(specs)
    return Experiment(
        data=data_all,
        scenarios=resolved,
        baseline_of=baseline_of,
        seed=common_seed,
        specs=specs,
        timings=timings,
        inputs=inputs,
        stored=Path(store) if store is not None else None,
        labels=labels if store is not None else {},
    )


def _stack(datasets: dict[str, xr.Dataset], baseline: RunSpec, ids: np.ndarray, seed: int) -> xr.Dataset:
    """Every case on a ``case`` dimension, with the members' parameter draws beside them."""
    stacked = xr.concat(list(datasets.values()), dim=pd.Index(list(datasets), name="case"), combine_attrs="override")
    last = next(reversed(datasets.values()))
    stacked.attrs.update(last.attrs)
    for name in last.data_vars:
        stacked[name].attrs = dict(last[name].attrs)
    draws = parameter_draws(baseline, ids.tolist(), seed)
    if draws is not None:
        stacked[DRAWS] = draws
    return stacked
