"""``casim check``: does the model reproduce what the sources document?

Runs the library episodes the facts need against their common baseline, by default with every member
drawing its parameters from their documented ranges (so the facts must hold across the
stated uncertainty, not at one tuned point), and evaluates every fact of
:mod:`casim.facts`. Parameters can be pinned for the whole check (``--set PATH=VALUE``, the
paths of a scenario's ``assumptions:``), which is how null models are built: a model with
its governments frozen, its citizens inert, its trends removed or its leverage ignored
must fail several facts (``NULL_MODELS``, docs/validation.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from casim.experiment import run_experiment
from casim.facts import EPISODES, FACTS, Fact
from casim.library import scenario_dir
from casim.parameters import ParameterSet
from casim.scenario import Scenario, load_scenario

Progress = Callable[[int, int], None]

#: Deliberately broken models: each switches off one part of the mechanism. Each must fail at
#: least three facts (tested), so the facts can tell a working model from a broken one.
NULL_MODELS: dict[str, dict[str, float]] = {
    "frozen governments": {"alignment.adjustment": 0.0, "alignment.anchor_weight": 0.0, "alignment.noise": 0.0},
    "inert citizens": {"citizens.adaptation": 0.0, "citizens.peer_weight": 0.0},
    "no trends": {
        "flows.trend": 0.0,
        "powers.capability_trend": 0.0,
        "powers.credibility_trend": 0.0,
        "water.trend": 0.0,
    },
    "leverage ignored": {
        "alignment.bandwagon_base": 0.0,
        "alignment.bandwagon_options": 0.0,
        "alignment.bandwagon_capacity": 0.0,
        "exposure.weaponised_multiplier": 0.0,
        "alignment.weight_insurance": 0.0,
    },
}


@dataclass
class FactResult:
    """One fact evaluated on an ensemble."""

    fact: Fact
    values: np.ndarray  # (member, k); NaN where the fact does not apply
    holding: float  # share of applicable members in which it holds
    applicable: int

    @property
    def passed(self) -> bool:
        return self.applicable > 0 and self.holding >= self.fact.required

    def band(self) -> tuple[float, float, float]:
        """5 %, 50 % and 95 % quantiles of the metric over members (and its parts)."""
        v = self.values[np.isfinite(self.values)]
        if v.size == 0:
            return (np.nan, np.nan, np.nan)
        low, mid, high = np.quantile(v, [0.05, 0.5, 0.95])
        return float(low), float(mid), float(high)


def episode_scenarios(sample_ranges: bool, overrides: Mapping[str, Any] | None = None) -> dict[str, Scenario]:
    """The library scenarios the facts need, resolved for a check."""
    out = {}
    for name in EPISODES:
        scenario = load_scenario(scenario_dir() / f"{name}.yaml")
        assumptions = {**scenario.assumptions, **(overrides or {})}
        out[name] = scenario.resolved(sample_ranges=sample_ranges).model_copy(update={"assumptions": assumptions})
    return out


def evaluate(facts: tuple[Fact, ...], runs: dict) -> list[FactResult]:
    """Evaluate facts on paired runs ``{scenario name: paired dataset}``."""
    results = []
    for fact in facts:
        values = np.asarray(fact.metric(runs), dtype=float)
        values = values.reshape(values.shape[0], -1)
        applicable = fact.applicable(values)
        holds = fact.holds(values) & applicable
        n = int(applicable.sum())
        results.append(FactResult(fact, values, float(holds.sum() / n) if n else 0.0, n))
    return results


def run_check(
    members: int = 200,
    seed: int = 2026,
    sample_ranges: bool = True,
    overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> list[FactResult]:
    """Evaluate every fact.

    Args:
        members: Ensemble members.
        seed: Seed.
        sample_ranges: Members draw every parameter from its range (the default, and the point).
        overrides: Parameter values pinned in every run, ``{path: value}`` (as a scenario's
            ``assumptions:``), e.g. a null model from :data:`NULL_MODELS`.
        progress: Called with ``(runs done, runs total)``.

    Raises:
        CasimError: if an override names no parameter or breaks its bounds.
    """
    return evaluate(FACTS, episode_runs(members, seed, sample_ranges, overrides, progress))


def episode_runs(
    members: int,
    seed: int,
    sample_ranges: bool = True,
    overrides: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    executor: str = "serial",
    params: ParameterSet | None = None,
) -> dict:
    """Every episode the facts need against the common baseline, one experiment: ``{name: paired}``."""
    scenarios = episode_scenarios(sample_ranges, overrides)
    experiment = run_experiment(
        list(scenarios.values()), members=members, seed=seed, executor=executor, progress=progress, params=params
    )
    return {name: experiment.pair(case) for name, case in zip(scenarios, experiment.names, strict=True)}


def report_frame(results: list[FactResult]) -> pd.DataFrame:
    """The results as a table (one row per fact)."""
    rows = []
    for r in results:
        low, mid, high = r.band()
        rows.append(
            {
                "fact": r.fact.id,
                "kind": r.fact.kind,
                "statement": r.fact.statement,
                "source": r.fact.source,
                "target": r.fact.target,
                "low": r.fact.low,
                "high": r.fact.high,
                "reason": r.fact.reason,
                "unit": r.fact.unit,
                "median": mid,
                "p05": low,
                "p95": high,
                "holds_in": r.holding,
                "required": r.fact.required,
                "members": r.applicable,
                "passed": r.passed,
            }
        )
    return pd.DataFrame(rows)
