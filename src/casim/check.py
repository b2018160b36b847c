"""``casim check``: does the baseline reproduce what the sources document?

Runs the baseline and the library scenarios the facts need, with every member drawing
its parameters from their documented ranges (so the facts must hold across the stated
uncertainty, not at one tuned point), and evaluates every fact of :mod:`casim.facts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from casim.facts import FACTS, Fact
from casim.library import scenario_dir
from casim.runner import simulate_pair
from casim.scenario import load_scenario

Progress = Callable[[int, int], None]


@dataclass
class FactResult:
    """One fact evaluated on an ensemble."""

    fact: Fact
    values: np.ndarray  # per member (NaN where the fact does not apply)
    holding: float  # share of applicable members in which it holds
    applicable: int

    @property
    def passed(self) -> bool:
        return self.applicable > 0 and self.holding >= self.fact.required

    def band(self) -> tuple[float, float, float]:
        v = self.values[np.isfinite(self.values)]
        if v.size == 0:
            return (np.nan, np.nan, np.nan)
        low, mid, high = np.quantile(v, [0.05, 0.5, 0.95])
        return float(low), float(mid), float(high)


def run_check(
    members: int = 100, seed: int = 2026, sample_ranges: bool = True, progress: Progress | None = None
) -> list[FactResult]:
    """Evaluate every fact.

    Args:
        members: Ensemble members.
        seed: Seed.
        sample_ranges: Members draw every parameter from its range (the default, and the point).
        progress: Called with ``(runs done, runs total)``.
    """
    needed = ["remittance_shock", *sorted({n for f in FACTS for n in f.needs} - {"remittance_shock"})]
    runs = {}
    for k, name in enumerate(needed):
        scenario = load_scenario(scenario_dir() / f"{name}.yaml").resolved(sample_ranges=sample_ranges)
        runs[name] = simulate_pair(scenario, members=members, seed=seed, executor="serial").paired
        if progress is not None:
            progress(k + 1, len(needed))
    results = []
    for fact in FACTS:
        values = np.asarray(fact.metric(runs), dtype=float).reshape(-1)
        applicable = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            holds = np.asarray(fact.holds(values), dtype=bool) & applicable
        n = int(applicable.sum())
        results.append(FactResult(fact, values, float(holds.sum() / n) if n else 0.0, n))
    return results


def report_frame(results: list[FactResult]) -> pd.DataFrame:
    """The results as a table (one row per fact)."""
    rows = []
    for r in results:
        low, mid, high = r.band()
        rows.append(
            {
                "fact": r.fact.id,
                "statement": r.fact.statement,
                "source": r.fact.source,
                "target": r.fact.target,
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
